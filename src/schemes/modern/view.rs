//! What `modern` and `anon-vma-chain` show in the graph: their anon_vmas, AVCs and pages.

use std::collections::HashMap;

use super::*;

impl ModernScheme {
    /// The graph's side of the state: the anon_vmas with their fields, the vmas linked to each
    /// through their AVCs (and their own anon_vma), the parent and root links, the pages.
    pub(super) fn rmap_view(&self, m: &Machine) -> RmapGraph {
        let mut view = RmapGraph::default();
        let mut index = HashMap::new();
        for (&id, a) in &self.avs {
            index.insert(id, view.objects.len());
            let vmas: Vec<String> = a
                .tree
                .iter()
                .filter_map(|c| self.avcs.get(c))
                .map(|c| {
                    m.vma(c.pid, c.vma).map_or(format!("{}", c.vma), |v| {
                        format!("pid {} {}", c.pid, v.span())
                    })
                })
                .collect();
            let n = a.tree.len();
            let avcs = format!("{n} AVC{}", if n == 1 { "" } else { "s" });
            let (label, fields) = match self.era {
                Era::Trees => (
                    if a.root == id {
                        format!("av{id} root, {avcs}")
                    } else {
                        format!("av{id} parent av{}, root av{}, {avcs}", a.parent, a.root)
                    },
                    vec![
                        ("root".to_string(), format!("av{}", a.root)),
                        ("parent".to_string(), format!("av{}", a.parent)),
                        ("num_children".to_string(), a.num_children.to_string()),
                        ("num_active_vmas".to_string(), a.num_active_vmas.to_string()),
                        ("AVCs in tree".to_string(), n.to_string()),
                        ("vmas (tree order)".to_string(), vmas.join(", ")),
                    ],
                ),
                // 2.6.34 - 3.6: no parent pointer or counters yet, a list instead of a tree.
                Era::Lists => (
                    if a.root == id {
                        format!("av{id} root, {avcs}")
                    } else {
                        format!("av{id} root av{}, {avcs}", a.root)
                    },
                    vec![
                        ("root".to_string(), format!("av{}", a.root)),
                        ("AVCs on same_anon_vma list".to_string(), n.to_string()),
                        (
                            "vmas (list order, oldest first)".to_string(),
                            vmas.join(", "),
                        ),
                    ],
                ),
            };
            view.objects.push(RmapObject {
                key: format!("av{id}"),
                kind: "anon_vma",
                label,
                fields,
            });
        }
        for (&id, a) in &self.avs {
            let (to, what) = match self.era {
                Era::Trees => (a.parent, "parent"),
                Era::Lists => (a.root, "root"),
            };
            if to != id
                && let (Some(&from), Some(&to)) = (index.get(&id), index.get(&to))
            {
                view.object_links.push((from, to, what.to_string()));
            }
        }
        for (&vma, r) in &self.vmas {
            for c in &r.chain {
                if let Some(avc) = self.avcs.get(c)
                    && let Some(&i) = index.get(&avc.av)
                {
                    view.vma_links.push((vma, i, "avc".to_string()));
                }
            }
            if !r.chain.is_empty() {
                let chain: Vec<String> = r
                    .chain
                    .iter()
                    .filter_map(|c| self.avcs.get(c))
                    .map(|c| format!("av{}", c.av))
                    .collect();
                view.vma_fields.push((
                    vma,
                    vec![
                        (
                            "anon_vma".to_string(),
                            r.anon_vma.map_or("none".to_string(), |a| format!("av{a}")),
                        ),
                        ("anon_vma_chain".to_string(), chain.join(" -> ")),
                    ],
                ));
            }
        }
        view.vma_links.sort_by_key(|l| (l.0, l.1));
        view.vma_fields.sort_by_key(|f| f.0);
        view.link_anon_pages(m.pages.mapped_anon(), &index);
        view
    }
}
