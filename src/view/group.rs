//! Folding many alike rmap objects into one node: the storm under `pte-chain` has a chain for
//! each of the parent's thousand shared pages, which would otherwise be a thousand object nodes
//! and a thousand page nodes. Objects are alike when they have the same kind, are linked from
//! the same vmas and mms and to no other object (a chain of anon_vmas or a ring of anonmms is
//! never folded), and are not on the step's walk. A class of more than
//! [`BuildOptions::object_group`] alike objects becomes one group node (`objects@pte_chain`),
//! linked as each member was; its pages are then grouped like the pages of one object.

use std::collections::{BTreeMap, HashSet};

use crate::model::rmap::RmapGraph;
use crate::model::{MmId, VmaId};

use super::graph::{BuildOptions, Grouping, Members, Node, NodeKind};
use super::nodes::group_node;

/// The inspector lists the members of groups up to this many.
pub(super) const LISTED: usize = 64;

/// A class of alike objects drawn as one node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct ObjectGroup {
    /// The node id: `objects@KIND`, then `@` and the first linked vma or mm and how many more
    /// when the members are linked (`objects@pte_chain@vma3+1`).
    pub id: String,
    /// The members' indexes in [`RmapGraph::objects`], in order.
    pub members: Vec<usize>,
}

/// The classes folded at one step, and the one each object is folded into.
#[derive(Clone, Debug, Default)]
pub(super) struct ObjectGroups {
    pub groups: Vec<ObjectGroup>,
    /// For each object of the view, the group it is folded into.
    pub of: Vec<Option<usize>>,
    /// For each object of an expanded class, that class's group id (so that Enter on a member
    /// can fold it back).
    pub expanded_in: Vec<Option<String>>,
}

impl ObjectGroups {
    /// Finds the classes of `rv`'s objects to fold. `keep` holds the keys of the objects on the
    /// walk, which stay on their own.
    pub fn find(rv: &RmapGraph, keep: &HashSet<&str>, opts: &BuildOptions) -> ObjectGroups {
        let n = rv.objects.len();
        let mut out = ObjectGroups {
            groups: Vec::new(),
            of: vec![None; n],
            expanded_in: vec![None; n],
        };
        if n <= opts.object_group {
            return out;
        }
        let mut linked = vec![false; n];
        for &(a, b, _) in &rv.object_links {
            for o in [a, b] {
                if let Some(l) = linked.get_mut(o) {
                    *l = true;
                }
            }
        }
        let may_fold = |k: usize| !linked[k] && !keep.contains(rv.objects[k].key.as_str());
        // Most views have no kind with enough objects that may be folded: stop before looking
        // at the links.
        let mut per_kind: BTreeMap<&str, usize> = BTreeMap::new();
        for (k, o) in rv.objects.iter().enumerate() {
            if may_fold(k) {
                *per_kind.entry(o.kind).or_default() += 1;
            }
        }
        if per_kind.values().all(|&c| c <= opts.object_group) {
            return out;
        }
        // The vmas and mms linking each object (vmas as their ids, mms above 2^32).
        let mut from: Vec<Vec<u64>> = vec![Vec::new(); n];
        for (v, o, _) in &rv.vma_links {
            if let Some(f) = from.get_mut(*o) {
                f.push(u64::from(v.0));
            }
        }
        for (mm, o) in &rv.mm_links {
            if let Some(f) = from.get_mut(*o) {
                f.push(MM_BIT | u64::from(mm.0));
            }
        }
        let mut classes: BTreeMap<(&str, Vec<u64>), Vec<usize>> = BTreeMap::new();
        for (k, (o, mut f)) in rv.objects.iter().zip(from).enumerate() {
            if !may_fold(k) || per_kind[o.kind] <= opts.object_group {
                continue;
            }
            f.sort_unstable();
            f.dedup();
            classes.entry((o.kind, f)).or_default().push(k);
        }
        let mut ids = HashSet::new();
        for ((kind, from), members) in classes {
            if members.len() <= opts.object_group {
                continue;
            }
            let mut id = match from.first() {
                None => format!("objects@{kind}"),
                Some(&f) if from.len() == 1 => format!("objects@{kind}@{}", link_name(f)),
                Some(&f) => format!("objects@{kind}@{}+{}", link_name(f), from.len() - 1),
            };
            // Two classes with the same first link and as many links: number the later one.
            let base = id.clone();
            let mut k = 2;
            while !ids.insert(id.clone()) {
                id = format!("{base}#{k}");
                k += 1;
            }
            if opts.expanded.contains(&id) {
                for &m in &members {
                    out.expanded_in[m] = Some(id.clone());
                }
                continue;
            }
            for &m in &members {
                out.of[m] = Some(out.groups.len());
            }
            out.groups.push(ObjectGroup { id, members });
        }
        out
    }

    /// The node of group `gi`, with `pages` pages among its members.
    pub fn node(&self, gi: usize, rv: &RmapGraph, pages: usize) -> Node {
        let grp = &self.groups[gi];
        let first = &rv.objects[grp.members[0]];
        let last = &rv.objects[grp.members[grp.members.len() - 1]];
        let count = grp.members.len();
        let fields = vec![
            ("kind".to_string(), first.kind.to_string()),
            ("objects".to_string(), count.to_string()),
            ("keys".to_string(), format!("{} .. {}", first.key, last.key)),
            ("pages".to_string(), pages.to_string()),
        ];
        let listed = if count <= LISTED {
            grp.members
                .iter()
                .map(|&m| rv.objects[m].key.clone())
                .collect()
        } else {
            Vec::new()
        };
        let members = Members {
            first: first.key.clone(),
            last: last.key.clone(),
            listed,
        };
        Node {
            grouping: Grouping::Group(members),
            ..group_node(
                grp.id.clone(),
                NodeKind::ObjectGroup,
                &format!("{}s", first.kind),
                count,
                span(&first.key, &last.key),
                fields,
                (grp.members[0] as u64, 0),
            )
        }
    }
}

/// The keys of the first and last members, the last without the words it shares with the
/// first: `chain p2..p1000`, `av3..av9`.
fn span(first: &str, last: &str) -> String {
    let words = first.rfind(' ').map_or(0, |i| i + 1);
    match last.strip_prefix(&first[..words]) {
        Some(rest) if words > 0 => format!("{first}..{rest}"),
        _ => format!("{first}..{last}"),
    }
}

/// Marks an mm among the links of an object (vma ids stay below it).
const MM_BIT: u64 = 1 << 32;

/// A link of a class as the group id names it: `vma3`, or `mm2` for an mm.
fn link_name(f: u64) -> String {
    if f & MM_BIT != 0 {
        MmId((f & !MM_BIT) as u32).to_string()
    } else {
        VmaId(f as u32).to_string()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_span_names_the_shared_words_once() {
        assert_eq!(super::span("chain p2", "chain p1000"), "chain p2..p1000");
        assert_eq!(super::span("av3", "av9"), "av3..av9");
        assert_eq!(super::span("i_mmap a.so", "anon b"), "i_mmap a.so..anon b");
    }
}
