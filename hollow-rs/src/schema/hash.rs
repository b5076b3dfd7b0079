//! The `hollow.schema.hash` header tag. (Being written: see the schema DSL task.)
