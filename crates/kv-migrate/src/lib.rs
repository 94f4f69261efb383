//! Key-format migrations for key-value stores (SPEC section 9).
