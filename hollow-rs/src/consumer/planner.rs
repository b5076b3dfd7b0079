//! Planning a refresh: which blobs take the consumer from its version to the one it wants.
//!
//! As Java's `HollowUpdatePlanner`: with no state yet, the nearest snapshot at or below the target and
//! then deltas. With a state, deltas forward (or reverse deltas back) up to a limit; if they do not
//! reach the target, a fresh snapshot plan is used instead when it gets closer (a "double snapshot").

use crate::error::Result;
use crate::store::{Blob, BlobRetriever, Version};

/// The blobs to apply, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpdatePlan {
    /// Blobs in application order. A plan that starts with a snapshot replaces the state.
    pub blobs: Vec<Blob>,
}

impl UpdatePlan {
    /// The version reached after the plan, starting from `current`.
    pub fn destination(&self, current: Option<Version>) -> Option<Version> {
        self.blobs.last().map(|b| b.to_version).or(current)
    }

    /// True when the plan starts with a snapshot.
    pub fn is_snapshot_plan(&self) -> bool {
        self.blobs.first().is_some_and(|b| b.blob_type == crate::store::BlobType::Snapshot)
    }
}

/// Plans refreshes against a retriever.
#[derive(Debug, Clone, Copy)]
pub struct Planner {
    /// Most deltas to follow before a snapshot is preferred (Java's default is 32).
    pub max_deltas_before_double_snapshot: usize,
    /// Whether a state may be replaced by a fresh snapshot when deltas do not reach the target.
    pub allow_double_snapshot: bool,
}

impl Default for Planner {
    fn default() -> Self {
        Planner { max_deltas_before_double_snapshot: 32, allow_double_snapshot: true }
    }
}

impl Planner {
    /// Plan from `current` (None: no state yet) to `desired`. `force_snapshot` asks for a snapshot plan
    /// (after a failed refresh).
    ///
    /// # Errors
    ///
    /// The retriever's errors (usually [`Error::Io`](crate::Error::Io)). When no blobs reach `desired`,
    /// the plan is empty: that is not an error here.
    pub fn plan(
        &self,
        retriever: &dyn BlobRetriever,
        current: Option<Version>,
        desired: Version,
        force_snapshot: bool,
    ) -> Result<UpdatePlan> {
        let Some(current) = current else {
            return self.snapshot_plan(retriever, desired);
        };
        if current == desired && !force_snapshot {
            return Ok(UpdatePlan::default());
        }
        if force_snapshot && self.allow_double_snapshot {
            let plan = self.snapshot_plan(retriever, desired)?;
            if plan.destination(None) == Some(desired) {
                return Ok(plan);
            }
        }
        let delta_plan = self.delta_plan(retriever, current, desired, self.max_deltas_before_double_snapshot)?;
        let delta_dest = delta_plan.destination(Some(current)).unwrap_or(current);
        if delta_dest != desired && self.allow_double_snapshot {
            let snapshot_plan = self.snapshot_plan(retriever, desired)?;
            if let Some(snap_dest) = snapshot_plan.destination(None) {
                let closer = snap_dest == desired
                    || (delta_dest > desired && snap_dest < desired)
                    || (snap_dest < desired && snap_dest > delta_dest);
                if closer {
                    return Ok(snapshot_plan);
                }
            }
        }
        Ok(delta_plan)
    }

    fn snapshot_plan(&self, retriever: &dyn BlobRetriever, desired: Version) -> Result<UpdatePlan> {
        let Some(snapshot) = retriever.retrieve_snapshot(desired)? else {
            return Ok(UpdatePlan::default());
        };
        if snapshot.to_version > desired {
            return Ok(UpdatePlan::default());
        }
        let start = snapshot.to_version;
        let mut plan = UpdatePlan { blobs: vec![snapshot] };
        plan.blobs.extend(self.delta_plan(retriever, start, desired, usize::MAX)?.blobs);
        Ok(plan)
    }

    fn delta_plan(
        &self,
        retriever: &dyn BlobRetriever,
        mut current: Version,
        desired: Version,
        max_deltas: usize,
    ) -> Result<UpdatePlan> {
        let mut plan = UpdatePlan::default();
        while current < desired && plan.blobs.len() < max_deltas {
            match retriever.retrieve_delta(current)? {
                Some(delta) if delta.to_version <= desired && delta.to_version > current => {
                    current = delta.to_version;
                    plan.blobs.push(delta);
                }
                _ => break,
            }
        }
        while current > desired && plan.blobs.len() < max_deltas {
            match retriever.retrieve_reverse_delta(current)? {
                Some(rev) if rev.to_version < current => {
                    current = rev.to_version;
                    plan.blobs.push(rev);
                }
                _ => break,
            }
        }
        Ok(plan)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::memory::InMemoryBlobStore;
    use crate::store::{BlobPublisher, BlobType};

    fn store(snapshots: &[Version], chain: &[Version]) -> InMemoryBlobStore {
        let s = InMemoryBlobStore::new();
        for &v in snapshots {
            s.publish(&Blob::snapshot(v, vec![])).unwrap();
        }
        for w in chain.windows(2) {
            s.publish(&Blob::delta(w[0], w[1], vec![])).unwrap();
            s.publish(&Blob::reverse_delta(w[1], w[0], vec![])).unwrap();
        }
        s
    }

    fn kinds(plan: &UpdatePlan) -> Vec<(BlobType, Version)> {
        plan.blobs.iter().map(|b| (b.blob_type, b.to_version)).collect()
    }

    #[test]
    fn initial_load_is_snapshot_then_deltas() {
        let s = store(&[1], &[1, 2, 3, 4]);
        let plan = Planner::default().plan(&s, None, 3, false).unwrap();
        assert_eq!(kinds(&plan), [(BlobType::Snapshot, 1), (BlobType::Delta, 2), (BlobType::Delta, 3)]);
    }

    #[test]
    fn going_back_uses_reverse_deltas() {
        let s = store(&[1], &[1, 2, 3, 4]);
        let plan = Planner::default().plan(&s, Some(4), 2, false).unwrap();
        assert_eq!(kinds(&plan), [(BlobType::ReverseDelta, 3), (BlobType::ReverseDelta, 2)]);
    }

    #[test]
    fn broken_chain_falls_back_to_a_snapshot() {
        let s = store(&[1, 3], &[1, 2]);
        s.publish(&Blob::delta(3, 4, vec![])).unwrap();
        let plan = Planner::default().plan(&s, Some(2), 4, false).unwrap();
        assert_eq!(kinds(&plan), [(BlobType::Snapshot, 3), (BlobType::Delta, 4)]);
        let no_double = Planner { allow_double_snapshot: false, ..Planner::default() };
        assert_eq!(no_double.plan(&s, Some(2), 4, false).unwrap().destination(Some(2)), Some(2));
    }

    #[test]
    fn long_chains_prefer_a_snapshot() {
        let chain: Vec<Version> = (1..=50).collect();
        let s = store(&[1, 40], &chain);
        let plan = Planner::default().plan(&s, Some(1), 45, false).unwrap();
        assert!(plan.is_snapshot_plan());
        assert_eq!(plan.destination(Some(1)), Some(45));
        assert_eq!(plan.blobs.len(), 6);
    }

    #[test]
    fn unknown_version_plans_nothing_useful() {
        let s = store(&[1], &[1, 2]);
        assert_eq!(Planner::default().plan(&s, None, 0, false).unwrap(), UpdatePlan::default());
        assert_eq!(Planner::default().plan(&s, Some(2), 2, false).unwrap(), UpdatePlan::default());
        // Version 7 does not exist: the best plan stops at 2.
        assert_eq!(Planner::default().plan(&s, Some(1), 7, false).unwrap().destination(Some(1)), Some(2));
    }
}
