; Ruby: the wheel's query, without its catch-all pattern that needs local-variable tracking.

(method name: (_) @name) @definition.method
(singleton_method name: (_) @name) @definition.method
(alias name: (_) @name) @definition.method
(class name: [(constant) @name (scope_resolution name: (_) @name)]) @definition.class
(singleton_class value: [(constant) @name (scope_resolution name: (_) @name)]) @definition.class
(module name: [(constant) @name (scope_resolution name: (_) @name)]) @definition.module
(assignment left: (constant) @name) @definition.constant

(call method: (identifier) @name) @reference.call
(call receiver: (constant) @name) @reference.name
(superclass (constant) @name) @reference.base
(superclass (scope_resolution name: (constant) @name)) @reference.base
(call method: (identifier) @_include arguments: (argument_list (constant) @name)
  (#any-of? @_include "include" "extend" "prepend")) @reference.import
