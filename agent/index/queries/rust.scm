; Additions to the Rust wheel's tags query: paths called as functions, and `use` imports.

(call_expression function: (scoped_identifier name: (identifier) @name)) @reference.call
(use_declaration argument: (scoped_identifier name: (identifier) @name)) @reference.import
(use_declaration argument: (identifier) @name) @reference.import
(use_list (identifier) @name) @reference.import
(use_list (scoped_identifier name: (identifier) @name)) @reference.import
