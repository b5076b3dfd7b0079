//! Validators that ship with the library, as Java's do: each checks a candidate state (against the
//! announced one where it needs to) before it is announced; a failure vetoes the cycle, which then
//! announces nothing and removes its blobs.

use super::Validator;
use crate::consumer::ReadState;
use crate::index::find_duplicate_keys;

/// Refuses a state in which two records of a type share the type's primary key (Java's
/// `DuplicateDataDetectionValidator`): a primary key that is not unique is a broken dataset, and an
/// index would find one of the records at random. On by default (see
/// [`ProducerBuilder::without_duplicate_key_check`](super::ProducerBuilder::without_duplicate_key_check)).
#[derive(Debug, Default, Clone, Copy)]
pub struct DuplicateKeyValidator;

/// How many duplicates a message lists.
const SHOWN: usize = 3;

impl Validator for DuplicateKeyValidator {
    fn name(&self) -> &str {
        "duplicate primary keys"
    }

    fn validate(&self, state: &ReadState) -> std::result::Result<(), String> {
        let mut problems = Vec::new();
        for schema in state.engine().schemas() {
            let Some(object) = schema.as_object().filter(|o| o.primary_key.is_some()) else { continue };
            match find_duplicate_keys(state.engine(), &object.name, SHOWN) {
                Ok(dups) if dups.is_empty() => {}
                Ok(dups) => {
                    let listed: Vec<String> =
                        dups.iter().map(|d| format!("ordinals {} and {} ({})", d.first, d.second, d.key)).collect();
                    problems.push(format!(
                        "type {} has records with the same primary key: {}",
                        object.name,
                        listed.join("; ")
                    ));
                }
                Err(e) => problems.push(format!("type {}: {e}", object.name)),
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("; "))
        }
    }
}

/// Refuses a cycle that removes more than a share of a type's records (Java's
/// `RecordCountVarianceValidator`, one-sided): the usual sign of an upstream source that returned
/// nothing or half of its data, which would otherwise be published to every consumer.
#[derive(Debug, Clone)]
pub struct RecordCountVarianceValidator {
    type_name: Option<String>,
    max_removed_share: f64,
}

impl RecordCountVarianceValidator {
    /// Refuse a cycle that removes more than `max_removed_share` (0.0 to 1.0) of the records of any
    /// type that had records.
    pub fn for_all_types(max_removed_share: f64) -> Self {
        RecordCountVarianceValidator { type_name: None, max_removed_share: max_removed_share.clamp(0.0, 1.0) }
    }

    /// The same, for one type only.
    pub fn for_type(type_name: &str, max_removed_share: f64) -> Self {
        RecordCountVarianceValidator {
            type_name: Some(type_name.to_owned()),
            max_removed_share: max_removed_share.clamp(0.0, 1.0),
        }
    }
}

impl Validator for RecordCountVarianceValidator {
    fn name(&self) -> &str {
        "record count variance"
    }

    fn validate(&self, _state: &ReadState) -> std::result::Result<(), String> {
        Ok(())
    }

    fn validate_change(&self, previous: Option<&ReadState>, candidate: &ReadState) -> std::result::Result<(), String> {
        let Some(previous) = previous else { return Ok(()) };
        let mut problems = Vec::new();
        for before in previous.engine().types() {
            if self.type_name.as_deref().is_some_and(|t| t != before.name()) {
                continue;
            }
            let had = before.populated().count();
            let has = candidate.engine().type_state(before.name()).map_or(0, |t| t.populated().count());
            if had == 0 || has >= had {
                continue;
            }
            let removed = (had - has) as f64 / had as f64;
            if removed > self.max_removed_share {
                problems.push(format!(
                    "type {} would go from {had} to {has} records ({:.1}% removed, at most {:.1}% allowed)",
                    before.name(),
                    removed * 100.0,
                    self.max_removed_share * 100.0
                ));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("; "))
        }
    }
}
