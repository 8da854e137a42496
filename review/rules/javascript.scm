; Sinks for daima review (JavaScript). See python.scm for the capture conventions.

; db.query / connection.execute / knex.raw / sequelize.query / pool.query with a built string
((call_expression
   function: (member_expression property: (property_identifier) @_m)
   arguments: (arguments . (_) @arg)) @sink.sql-injection
 (#any-of? @_m "query" "execute" "raw" "$queryRawUnsafe" "$executeRawUnsafe" "unsafe")
 (#set! check "dynamic")
 (#set! fix "parameterize"))

; Knex raw fragments (whereRaw, orderByRaw, ...) and Sequelize.literal: SQL text as written
((call_expression
   function: (member_expression property: (property_identifier) @_m)
   arguments: (arguments . (_) @arg)) @sink.sql-injection
 (#any-of? @_m "whereRaw" "orWhereRaw" "andWhereRaw" "havingRaw" "orHavingRaw" "orderByRaw"
   "groupByRaw" "joinRaw" "fromRaw" "literal")
 (#set! check "dynamic"))

; child_process.exec / execSync with a built command (exec and execSync always use a shell).
; `exec` imported by destructuring, or called on child_process / require("child_process"); not
; RegExp.prototype.exec, which is called on a pattern.
((call_expression
   function: (identifier) @_f
   arguments: (arguments . (_) @arg)) @sink.shell-injection
 (#any-of? @_f "exec" "execSync")
 (#set! check "dynamic"))

((call_expression
   function: (member_expression
     object: [(identifier) @_obj (call_expression function: (identifier) @_obj)]
     property: (property_identifier) @_f)
   arguments: (arguments . (_) @arg)) @sink.shell-injection
 (#any-of? @_f "exec" "execSync")
 (#match? @_obj "^(child_process|childProcess|cp|require)$")
 (#set! check "dynamic"))

; spawn(cmd, {shell: true})
((call_expression
   function: [(identifier) @_f (member_expression property: (property_identifier) @_f)]
   arguments: (arguments . (_) @arg
     (object (pair key: (property_identifier) @_k value: (true))))) @sink.shell-injection
 (#any-of? @_f "spawn" "spawnSync" "execFile" "execFileSync")
 (#eq? @_k "shell")
 (#set! check "non_literal"))

; eval(x), new Function(x)
((call_expression function: (identifier) @_f arguments: (arguments . (_) @arg)) @sink.code-injection
 (#eq? @_f "eval")
 (#set! check "non_literal"))

((new_expression constructor: (identifier) @_f arguments: (arguments (_) @arg .)) @sink.code-injection
 (#eq? @_f "Function")
 (#set! check "non_literal"))

; const apiKey = "literal"
((variable_declarator name: (identifier) @_name value: (string) @arg) @sink.hardcoded-secret
 (#set! check "secret_assignment")
 (#set! anchor "arg"))

((assignment_expression
   left: [(identifier) @_name (member_expression property: (property_identifier) @_name)]
   right: (string) @arg) @sink.hardcoded-secret
 (#set! check "secret_assignment")
 (#set! anchor "arg"))

; {password: "literal"}
((pair key: [(property_identifier) (string)] @_name value: (string) @arg) @sink.hardcoded-secret
 (#set! check "secret_assignment")
 (#set! anchor "arg"))

((string) @arg @sink.hardcoded-secret
 (#set! check "secret_value"))

((template_string) @arg @sink.hardcoded-secret
 (#set! check "secret_value"))
