; Python definitions and references (the wheel's tags query finds calls only).

(class_definition name: (identifier) @name) @definition.class
(function_definition name: (identifier) @name) @definition.function
(module (expression_statement (assignment left: (identifier) @name) @definition.constant))
(module (expression_statement (assignment left: (pattern_list (identifier) @name)) @definition.constant))

(call function: (identifier) @name) @reference.call
(call function: (attribute attribute: (identifier) @name)) @reference.attribute

(import_statement name: (dotted_name (identifier) @name)) @reference.import
(import_statement name: (aliased_import name: (dotted_name (identifier) @name))) @reference.import
(import_from_statement module_name: (dotted_name (identifier) @name)) @reference.import
(import_from_statement module_name: (relative_import (dotted_name (identifier) @name))) @reference.import
(import_from_statement name: (dotted_name (identifier) @name)) @reference.import
(import_from_statement name: (aliased_import name: (dotted_name (identifier) @name))) @reference.import

(class_definition superclasses: (argument_list (identifier) @name)) @reference.base
(class_definition superclasses: (argument_list (attribute attribute: (identifier) @name))) @reference.base
(class_definition superclasses: (argument_list (subscript value: (identifier) @name))) @reference.base
(class_definition superclasses: (argument_list (subscript value: (attribute attribute: (identifier) @name)))) @reference.base

(decorator (identifier) @name) @reference.decorator
(decorator (attribute attribute: (identifier) @name)) @reference.decorator
(decorator (call function: (identifier) @name)) @reference.decorator
(decorator (call function: (attribute attribute: (identifier) @name))) @reference.decorator

(type (identifier) @name) @reference.name
(type (attribute attribute: (identifier) @name)) @reference.name
(type (generic_type (identifier) @name)) @reference.name
(except_clause (identifier) @name) @reference.name
(except_clause (attribute attribute: (identifier) @name)) @reference.name
(raise_statement (identifier) @name) @reference.name
