//! The generated files of every pattern and of the example crate, reviewed as snapshots.

#[macro_use]
mod common;

use common::*;

macro_rules! pattern_snapshots {
    ($($name:ident),*) => {
        $(
            #[test]
            fn $name() {
                let out = generate(&fixture(stringify!($name)));
                insta::assert_snapshot!(stringify!($name), all_files(out.path()));
            }
        )*
        /// Every fixture in `fixtures/patterns` is in the pattern list (and so has its
        /// snapshot, round trip and squawk test), and every listed pattern has its fixture
        /// and its reviewed snapshot file.
        #[test]
        fn every_pattern_has_a_snapshot_test() {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
            let mut fixtures: Vec<String> = std::fs::read_dir(dir.join("fixtures/patterns"))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter_map(|n| n.strip_suffix(".rs").map(str::to_owned))
                .collect();
            fixtures.sort();
            let mut listed: Vec<String> = [$(stringify!($name)),*].map(String::from).to_vec();
            listed.sort();
            assert_eq!(fixtures, listed, "fixtures/patterns and for_each_pattern! differ");
            for name in listed {
                let snap = dir.join(format!("tests/snapshots/snapshots__{name}.snap"));
                assert!(snap.is_file(), "{name} has no reviewed snapshot {}", snap.display());
            }
        }
    };
}

for_each_pattern!(pattern_snapshots);

#[test]
fn example_service_snapshot() {
    let out = generate(&workspace().join("examples/service"));
    insta::assert_snapshot!("example_service", all_files(out.path()));
}

/// A snapshot no test writes any more fails here, like `cargo insta test --unreferenced reject`.
#[test]
fn no_orphan_snapshots() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        let stem = name
            .strip_prefix("snapshots__")
            .and_then(|n| n.strip_suffix(".snap"));
        let known = stem.is_some_and(|s| s == "example_service" || PATTERNS.contains(&s));
        assert!(
            known,
            "orphaned snapshot {name}: no test writes it; delete it"
        );
    }
}

#[test]
fn committed_example_migrations_are_up_to_date() {
    let root = workspace().join("examples/service");
    let outcome = migrate_gen::generate(&migrate_gen::GenerateArgs {
        src: root.clone(),
        out: root.join("sql"),
        date: DATE.into(),
        author: AUTHOR.into(),
        check: true,
        options: Default::default(),
        layout: Default::default(),
    })
    .unwrap();
    assert!(
        outcome.pending.is_empty(),
        "run `cargo run -p migrate-gen`: {:?}",
        outcome.pending
    );
    assert!(outcome.existing > 0);
}
