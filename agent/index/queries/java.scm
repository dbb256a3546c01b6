; Additions to the Java wheel's tags query.

(enum_declaration name: (identifier) @name) @definition.enum
(record_declaration name: (identifier) @name) @definition.class
(constructor_declaration name: (identifier) @name) @definition.method
(import_declaration (scoped_identifier name: (identifier) @name)) @reference.import
(type_identifier) @name @reference.name
