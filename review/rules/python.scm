; Sinks for daima review. Each pattern captures the reported node as @sink.<rule-id> and the checked
; argument as @arg; `check` names the predicate in review/dataflow.py, `fix` a mechanical fix.

; DB-API cursor.execute / executemany / executescript, Django Model.objects.raw / cursor.execute,
; SQLAlchemy Connection.exec_driver_sql, pyqldb Executor.execute_statement
((call
   function: (attribute attribute: (identifier) @_m)
   arguments: (argument_list . (_) @arg)) @sink.sql-injection
 (#any-of? @_m "execute" "executemany" "executescript" "raw" "exec_driver_sql" "execute_statement")
 (#set! check "dynamic")
 (#set! fix "parameterize"))

; Django RawSQL("...", params) expressions
((call
   function: [(identifier) @_f (attribute attribute: (identifier) @_f)]
   arguments: (argument_list . (_) @arg)) @sink.sql-injection
 (#eq? @_f "RawSQL")
 (#set! check "dynamic"))

; Django QuerySet.extra(where=[...], select={...}, tables=[...], order_by=[...]): each SQL fragment
((call
   function: (attribute attribute: (identifier) @_m)
   arguments: (argument_list
     (keyword_argument
       name: (identifier) @_kw
       value: [(list (_) @arg) (dictionary (pair value: (_) @arg))]))) @sink.sql-injection
 (#eq? @_m "extra")
 (#any-of? @_kw "where" "select" "tables" "order_by")
 (#set! check "dynamic"))

; SQLAlchemy @compiles hooks: the SQL text they return goes to the database as written
((decorated_definition
   (decorator (call function: [(identifier) @_d (attribute attribute: (identifier) @_d)]))
   definition: (function_definition
     body: [(block (return_statement (_) @arg) @sink.sql-injection)
            (block (if_statement
              [consequence: (block (return_statement (_) @arg) @sink.sql-injection)
               alternative: (else_clause body: (block (return_statement (_) @arg) @sink.sql-injection))]))]))
 (#eq? @_d "compiles")
 (#set! label "@compiles hook")
 (#set! check "dynamic"))

; SQLAlchemy text("...") / sqlalchemy.text("...")
((call
   function: [(identifier) @_f (attribute attribute: (identifier) @_f)]
   arguments: (argument_list . (_) @arg)) @sink.sql-injection
 (#eq? @_f "text")
 (#set! requires "sqlalchemy")
 (#set! check "dynamic"))

; subprocess.run/call/Popen/check_output/check_call(..., shell=True)
((call
   function: (attribute object: (identifier) @_mod attribute: (identifier) @_f)
   arguments: (argument_list . (_) @arg
     (keyword_argument name: (identifier) @_kw value: (true)))) @sink.shell-injection
 (#eq? @_mod "subprocess")
 (#any-of? @_f "run" "call" "Popen" "check_output" "check_call" "getoutput" "getstatusoutput")
 (#eq? @_kw "shell")
 (#set! check "non_literal"))

; subprocess.getoutput / getstatusoutput always use a shell
((call
   function: (attribute object: (identifier) @_mod attribute: (identifier) @_f)
   arguments: (argument_list . (_) @arg)) @sink.shell-injection
 (#eq? @_mod "subprocess")
 (#any-of? @_f "getoutput" "getstatusoutput")
 (#set! check "non_literal"))

; os.system / os.popen
((call
   function: (attribute object: (identifier) @_mod attribute: (identifier) @_f)
   arguments: (argument_list . (_) @arg)) @sink.shell-injection
 (#eq? @_mod "os")
 (#any-of? @_f "system" "popen")
 (#set! check "non_literal"))

; eval / exec of anything but a literal
((call
   function: (identifier) @_f
   arguments: (argument_list . (_) @arg)) @sink.code-injection
 (#any-of? @_f "eval" "exec")
 (#set! check "non_literal"))

; pickle / cPickle / dill / marshal loads
((call
   function: (attribute object: (identifier) @_mod attribute: (identifier) @_f)
   arguments: (argument_list . (_) @arg)) @sink.unsafe-deserialization
 (#any-of? @_mod "pickle" "cPickle" "_pickle" "dill" "marshal" "jsonpickle")
 (#any-of? @_f "load" "loads" "Unpickler" "decode")
 (#set! check "non_literal"))

; yaml.load / yaml.load_all without a safe Loader, yaml.unsafe_load
((call
   function: (attribute object: (identifier) @_mod attribute: (identifier) @_f)
   arguments: (argument_list . (_) @arg)) @sink.unsafe-deserialization
 (#eq? @_mod "yaml")
 (#any-of? @_f "load" "load_all" "unsafe_load" "unsafe_load_all" "full_load")
 (#set! check "unsafe_yaml")
 (#set! fix "yaml-safe-load"))

; NAME = "literal" where NAME looks like a secret
((assignment
   left: [(identifier) @_name (attribute attribute: (identifier) @_name)]
   right: (string) @arg) @sink.hardcoded-secret
 (#set! check "secret_assignment")
 (#set! anchor "arg"))

; f(password="literal")
((keyword_argument name: (identifier) @_name value: (string) @arg) @sink.hardcoded-secret
 (#set! check "secret_assignment")
 (#set! anchor "arg"))

; {"password": "literal"}
((pair key: (string) @_name value: (string) @arg) @sink.hardcoded-secret
 (#set! check "secret_assignment")
 (#set! anchor "arg"))

; any string that looks like a known key format
((string) @arg @sink.hardcoded-secret
 (#set! check "secret_value"))
