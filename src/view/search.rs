//! Finding a node of a graph from what a person types after `/` in the TUI: an id, an address,
//! or a piece of a label. Works on the typed group membership of the nodes ([`Grouping`]), so
//! a page or object folded into a group is found as the group that holds it.

use petgraph::stable_graph::NodeIndex;

use super::graph::{Graph, Grouping, NodeKind};
use crate::scenario::opline::number;

impl Graph {
    /// The node that `q` names, tried in this order: the node with id `q` (`p7`, `av1`, `vma3`,
    /// `pid2`, `chain p7`); the group that lists it as a member; the vma that holds address `q`;
    /// the page or object group whose numbered members span `q` (`p3` in a group of `p2` ..
    /// `p1000`, too large to list); the first node whose label holds `q` (any case).
    pub fn search(&self, q: &str) -> Option<NodeIndex> {
        if q.is_empty() {
            return None;
        }
        let nodes = || self.graph.node_indices();
        self.find(q)
            .or_else(|| self.group_of(q))
            .or_else(|| {
                let a = number(q)?;
                nodes().find(|&n| {
                    let nd = self.node(n);
                    nd.kind == NodeKind::Vma && nd.addrs.is_some_and(|(s, e)| s <= a && a < e)
                })
            })
            .or_else(|| {
                nodes().find(|&n| {
                    let nd = self.node(n);
                    matches!(nd.kind, NodeKind::PageGroup | NodeKind::ObjectGroup)
                        && matches!(&nd.grouping, Grouping::Group(m) if m.spans(q))
                })
            })
            .or_else(|| {
                let ql = q.to_ascii_lowercase();
                nodes().find(|&n| self.node(n).label.to_ascii_lowercase().contains(&ql))
            })
    }
}

#[cfg(test)]
mod tests {
    use crate::view::Members;

    fn range(first: &str, last: &str) -> Members {
        Members {
            first: first.to_string(),
            last: last.to_string(),
            listed: Vec::new(),
        }
    }

    #[test]
    fn a_folded_key_is_found_in_its_groups_range() {
        let chains = range("chain p2", "chain p1000");
        assert!(chains.spans("chain p3"));
        assert!(chains.spans("Chain P1000"), "any case");
        assert!(!chains.spans("chain p1"));
        assert!(!chains.spans("chain p1001"));
        assert!(!chains.spans("p3"), "other words");
        assert!(!chains.spans("chain"), "no number");
        assert!(range("av3", "av9").spans("av7"));
    }
}
