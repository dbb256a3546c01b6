; Additions to the JavaScript and TypeScript wheels' tags queries.

(type_alias_declaration name: (type_identifier) @name) @definition.type
(enum_declaration name: (identifier) @name) @definition.enum
(import_specifier name: (identifier) @name) @reference.import
(import_clause (identifier) @name) @reference.import
(extends_clause value: (identifier) @name) @reference.base
(implements_clause (type_identifier) @name) @reference.base
(extends_type_clause type: (type_identifier) @name) @reference.base
