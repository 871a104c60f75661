//! What differs between the scenarios of one template (see
//! [`crate::evaluate`]): which access entries exist in which scenarios,
//! and each cluster's authentication mode per scenario when it is not the
//! same in all. Rules judge an entry in every scenario: a failure in all is
//! the rule's error, a failure in some only is reported with the parameter
//! values that lead to it.

use crate::evaluate::{Mask, Scenario};

use super::AuthMode;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ScenarioFacts {
    /// The scenarios, each with the inputs it fixes; bit `i` of a [`Mask`]
    /// is `scenarios[i]`.
    pub scenarios: Vec<Scenario>,
    /// Every scenario.
    pub all: Mask,
    /// Per cluster of the stack (same index): its mode in each set of
    /// scenarios; empty when the mode is the same in all of them.
    pub cluster_modes: Vec<Vec<(AuthMode, Mask)>>,
    /// Per access entry of the stack (same index): the scenarios in which
    /// it exists.
    pub entry_exists: Vec<Mask>,
}

impl ScenarioFacts {
    /// The labels of the scenarios in `mask` (`Env=dev`), joined with "or".
    pub fn describe(&self, mask: Mask) -> String {
        let labels: Vec<String> = (0..self.scenarios.len())
            .filter(|s| mask & (1 << s) != 0)
            .map(|s| self.scenarios[s].label())
            .filter(|l| !l.is_empty())
            .collect();
        match labels.len() {
            0 => "in every scenario".to_owned(),
            1..=4 => labels.join(" or "),
            n => format!("{} or {} more combinations", labels[..3].join(" or "), n - 3),
        }
    }

    /// The scenarios of cluster `index` in which its mode refuses access
    /// entries; `None` when its mode does not vary by scenario.
    pub fn refusing(&self, index: usize) -> Option<Mask> {
        let modes = self.cluster_modes.get(index).filter(|m| !m.is_empty())?;
        let refuses = |m: &AuthMode| !matches!(m, AuthMode::Api | AuthMode::ApiAndConfigMap);
        Some(modes.iter().filter(|(m, _)| refuses(m)).fold(0, |acc, (_, mask)| acc | mask))
    }

    /// The scenarios in which entry `index` exists.
    pub fn entry(&self, index: usize) -> Mask {
        self.entry_exists.get(index).copied().unwrap_or(self.all)
    }
}
