//! Compile-fail and compile-pass cases of `#[versioned]`; regenerate the `.stderr` files with
//! `TRYBUILD=overwrite cargo test -p tests --test ui` and read the diff.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("ui/fail/*.rs");
    t.pass("ui/pass/*.rs");
}
