//! Shared by the black-box tests: the plugin output grammar.

pub mod output_grammar;
