//! The bound on version numbers, shared by every annotation that names one.

use crate::parse::Errors;
use crate::parse::attr::Sp;

/// The highest version number an annotation may name.
///
/// Versions are one timeline for all tables of a crate, one per release that changes a table:
/// 1000 is a release a week for about twenty years. Each version of a struct is a Rust type, a
/// `From` in each direction, an `Any` variant and a migration step, so the macro's and the
/// generator's work grows with the version; without a bound, `version = 4294967295` makes
/// both run without end.
pub const MAX_VERSION: u32 = 1000;

/// The bound on one version number (`key = value`): the one rule that keeps an annotation from
/// asking for unbounded work, for the macro and the generator alike. `version` bounds
/// `since`, `until`, `renamed_at` and `retyped_at` through their own rules; `old_name_until`,
/// an API version that may be above the struct's, is bounded here too.
pub fn check_version_bound(key: &str, value: &Sp<u32>, errors: &mut Errors) -> bool {
    if value.value <= MAX_VERSION {
        return true;
    }
    errors.push(
        value.span,
        format!(
            "{key} = {} is above {MAX_VERSION}, the highest version supported: every version is a type, its conversions and a migration step in each build",
            value.value
        ),
    );
    false
}
