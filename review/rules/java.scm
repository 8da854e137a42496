; Sinks for daima review (Java). See python.scm for the capture conventions.

; JDBC Statement.execute / executeQuery / executeUpdate / addBatch, Connection.prepareStatement,
; JPA createQuery / createNativeQuery, Spring JdbcTemplate query / update
((method_invocation
   name: (identifier) @_m
   arguments: (argument_list . (_) @arg)) @sink.sql-injection
 (#any-of? @_m "execute" "executeQuery" "executeUpdate" "executeLargeUpdate" "addBatch"
   "prepareStatement" "prepareCall" "createQuery" "createNativeQuery" "createSQLQuery" "createFilter"
   "queryForList" "queryForObject" "queryForMap" "queryForRowSet" "queryForLong" "queryForInt"
   "nativeQuery")
 (#set! check "dynamic"))

; Spring JdbcTemplate / NamedParameterJdbcTemplate query / update / batchUpdate: names too common to
; match on any receiver, so only on one that names a JDBC template
((method_invocation
   object: (_) @_obj
   name: (identifier) @_m
   arguments: (argument_list . (_) @arg)) @sink.sql-injection
 (#any-of? @_m "query" "update" "batchUpdate")
 (#match? @_obj "([Jj]dbc|[Tt]emplate)")
 (#set! check "dynamic"))

; Runtime.getRuntime().exec(String) with a built command
((method_invocation
   name: (identifier) @_m
   arguments: (argument_list . (_) @arg)) @sink.shell-injection
 (#eq? @_m "exec")
 (#set! check "dynamic"))

; new ProcessBuilder("sh", "-c", built)
((object_creation_expression
   type: (type_identifier) @_t
   arguments: (argument_list (string_literal) @_sh (string_literal) @_c (_) @arg)) @sink.shell-injection
 (#eq? @_t "ProcessBuilder")
 (#match? @_sh "^\"(/bin/)?(ba)?sh\"$")
 (#eq? @_c "\"-c\"")
 (#set! check "non_literal"))

; ObjectInputStream.readObject on anything
((method_invocation
   object: (_) @arg
   name: (identifier) @_m) @sink.unsafe-deserialization
 (#any-of? @_m "readObject" "readUnshared")
 (#set! check "any"))

; String password = "literal";
((variable_declarator name: (identifier) @_name value: (string_literal) @arg) @sink.hardcoded-secret
 (#set! check "secret_assignment")
 (#set! anchor "arg"))

((assignment_expression
   left: [(identifier) @_name (field_access field: (identifier) @_name)]
   right: (string_literal) @arg) @sink.hardcoded-secret
 (#set! check "secret_assignment")
 (#set! anchor "arg"))

((string_literal) @arg @sink.hardcoded-secret
 (#set! check "secret_value"))
