//! A [`StateDiff`] in words: a one-line summary (the TUI's narrative, each step), the whole
//! difference as lines (`rmapviz diff`, the TUI's diff window) and as JSON (`rmapviz diff
//! --json`).

use std::collections::HashMap;

use serde::Serialize;

use crate::model::{PteVal, Vma, hex};
use crate::session::{ObjectChange, ObjectDelta, PageChange, PteChange, PteHow, StateDiff};

/// A pte's content in a few characters: `p3 rw`, `p3 r`, `zero`, `swap:1`.
pub fn pte_text(v: PteVal) -> String {
    match v {
        PteVal::None => "none".to_string(),
        PteVal::Page { page, writable, .. } => {
            format!("{page} {}", if writable { "rw" } else { "r" })
        }
        PteVal::Zero { .. } => "zero".to_string(),
        PteVal::Swap { slot, .. } => slot.to_string(),
    }
}

fn vma_text(pid: u32, v: &Vma) -> String {
    format!(
        "pid {pid} {}-{} pg {} {}",
        hex(v.start),
        hex(v.end),
        hex(v.pgoff),
        v.prot
    )
}

/// One pte change: `pid 2 0x10000 p1 r (copied from pid 1 0x10000)`.
pub fn pte_change_text(c: &PteChange) -> String {
    let at = format!("pid {} {}", c.pid, hex(c.addr));
    match c.how {
        PteHow::New => format!("{at} {}", pte_text(c.after)),
        PteHow::Copied { from } => format!(
            "{at} {} (from pid {} {})",
            pte_text(c.after),
            from.0,
            hex(from.1)
        ),
        PteHow::Moved { from } => format!("{at} {} (from {})", pte_text(c.after), hex(from)),
        PteHow::Removed => format!("{at} (was {})", pte_text(c.before)),
        _ => format!("{at} {} -> {}", pte_text(c.before), pte_text(c.after)),
    }
}

/// One page change: `p5 new, map 1 (copy of p1)`, `p2 freed`, `p1 map 3 -> 2`. `copy_of`: what
/// the remapped pte now mapping a new page held before ([`StateDiff::copied_from`]).
pub fn page_change_text(c: &PageChange, copy_of: Option<PteVal>) -> String {
    match (c.before, c.after) {
        (None, Some(a)) => {
            let from = copy_of
                .and_then(PteVal::into_page)
                .map(|p| format!(" (copy of {p})"))
                .unwrap_or_default();
            format!("{} new, map {}{from}", c.page, a.mapcount)
        }
        (Some(_), None) => format!("{} freed", c.page),
        (Some(b), Some(a)) => {
            let mut parts = Vec::new();
            if b.mapcount != a.mapcount {
                parts.push(format!("map {} -> {}", b.mapcount, a.mapcount));
            }
            if (b.mapping, b.index) != (a.mapping, a.index) {
                parts.push(format!(
                    "rmap words {}/{} -> {}/{}",
                    b.mapping,
                    hex(b.index),
                    a.mapping,
                    hex(a.index)
                ));
            }
            if b.swap != a.swap {
                let s =
                    |x: Option<crate::model::SlotId>| x.map_or("-".to_string(), |s| s.to_string());
                parts.push(format!("swap cache {} -> {}", s(b.swap), s(a.swap)));
            }
            if parts.is_empty() {
                parts.push("flags".to_string());
            }
            format!("{} {}", c.page, parts.join(", "))
        }
        (None, None) => c.page.to_string(),
    }
}

/// One change on an rmap object: `parent av0 -> none`, `ring none -> anonmm2`,
/// `anon_vma_node from vma3 added`, `vmas: 2 -> 1`.
pub fn delta_text(d: &ObjectDelta) -> String {
    let or_none = |v: Option<&String>| v.map_or("none".to_string(), Clone::clone);
    match d {
        ObjectDelta::Field {
            name,
            before,
            after,
        } => format!(
            "{name}: {} -> {}",
            or_none(before.as_ref()),
            or_none(after.as_ref())
        ),
        // A link that points at one thing: where it pointed, where it points.
        ObjectDelta::Links {
            label,
            out: true,
            added,
            removed,
        } if added.len() <= 1 && removed.len() <= 1 => format!(
            "{label} {} -> {}",
            or_none(removed.first()),
            or_none(added.first())
        ),
        ObjectDelta::Links {
            label,
            out: true,
            added,
            removed,
        } => {
            let ends: Vec<String> = added
                .iter()
                .map(|a| format!("+{a}"))
                .chain(removed.iter().map(|r| format!("-{r}")))
                .collect();
            format!("{label} {}", ends.join(" "))
        }
        ObjectDelta::Links {
            label,
            out: false,
            added,
            removed,
        } => {
            let ends: Vec<String> = added
                .iter()
                .map(|a| format!("{label} from {a} added"))
                .chain(removed.iter().map(|r| format!("{label} from {r} removed")))
                .collect();
            ends.join(", ")
        }
    }
}

/// An rmap object that changed, and each of its changes: `~ anon_vma av1 (2 vmas)` then
/// `anon_vma_node from vma3 added`, ...
fn object_change_lines(o: &ObjectChange) -> Vec<String> {
    let head = match (&o.before, &o.after) {
        (Some(b), Some(a)) if a != b => format!("~ {} {b} -> {a}", o.kind),
        (_, Some(a)) => format!("~ {} {a}", o.kind),
        _ => format!("~ {} {}", o.kind, o.key),
    };
    std::iter::once(head)
        .chain(o.deltas.iter().map(|d| format!("  {}", delta_text(d))))
        .collect()
}

/// Whether a pte change is of one kind.
type IsKind = fn(PteHow) -> bool;

/// The kinds of pte change in the order the texts list them.
const PTE_KINDS: [(&str, IsKind); 8] = [
    ("new", |h| h == PteHow::New),
    ("copied", |h| matches!(h, PteHow::Copied { .. })),
    ("moved", |h| matches!(h, PteHow::Moved { .. })),
    ("remapped", |h| h == PteHow::Remapped),
    ("swapped out", |h| h == PteHow::SwappedOut),
    ("swapped in", |h| h == PteHow::SwappedIn),
    ("bits changed", |h| h == PteHow::Bits),
    ("removed", |h| h == PteHow::Removed),
];

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The difference in one line: `+1 page (p5), 1 pte remapped, p1 map 3->2; freed: p7` (at
/// most three ids of a kind, six of the freed things).
pub fn summary(d: &StateDiff) -> String {
    if d.is_empty() {
        return "nothing changed".to_string();
    }
    let mut parts = Vec::new();
    // "+2 mms (pid 2 pid 3)": what came, counted, and the first three of them named.
    let added = |v: Vec<String>, one: &str, many: &str| -> Option<String> {
        let n = v.len();
        let shown: Vec<String> = v.into_iter().take(3).collect();
        let more = if n > 3 { ", ..." } else { "" };
        (n > 0).then(|| format!("+{} ({}{more})", plural(n, one, many), shown.join(" ")))
    };
    let mm_new: Vec<String> = d
        .mms
        .iter()
        .filter(|m| m.after.is_some())
        .map(|m| format!("pid {}", m.pid))
        .collect();
    parts.extend(added(mm_new, "mm", "mms"));
    let vma_new = d.vmas.iter().filter(|v| v.before.is_none()).count();
    if vma_new > 0 {
        parts.push(format!("+{}", plural(vma_new, "vma", "vmas")));
    }
    let new: Vec<String> = d.new_pages().map(|p| p.page.to_string()).collect();
    parts.extend(added(new, "page", "pages"));
    for (name, f) in PTE_KINDS {
        let n = d.ptes_how(f).count();
        if n > 0 {
            parts.push(format!("{} {name}", plural(n, "pte", "ptes")));
        }
    }
    // Mapcount changes, grouped by their numbers: `p1 map 3->2`, `4 pages map 1->2`.
    // In the order each pair of numbers first comes; `at` finds a pair's group.
    let mut maps: Vec<((u32, u32), Vec<String>)> = Vec::new();
    let mut at: HashMap<(u32, u32), usize> = HashMap::new();
    for p in &d.pages {
        let (Some(b), Some(a)) = (p.before, p.after) else {
            continue;
        };
        if b.mapcount == a.mapcount {
            continue;
        }
        let key = (b.mapcount, a.mapcount);
        let i = *at.entry(key).or_insert_with(|| {
            maps.push((key, Vec::new()));
            maps.len() - 1
        });
        maps[i].1.push(p.page.to_string());
    }
    for ((b, a), pages) in maps.iter().take(3) {
        match pages.as_slice() {
            [one] => parts.push(format!("{one} map {b}->{a}")),
            many => parts.push(format!("{} pages map {b}->{a}", many.len())),
        }
    }
    let obj_new: Vec<String> = d
        .objects
        .iter()
        .filter(|o| o.before.is_none())
        .map(|o| o.key.clone())
        .collect();
    parts.extend(added(obj_new, "object", "objects"));
    let obj_changed = d
        .objects
        .iter()
        .filter(|o| o.before.is_some() && o.after.is_some())
        .count();
    if obj_changed > 0 {
        parts.push(format!(
            "{} relinked",
            plural(obj_changed, "object", "objects")
        ));
    }
    let gone = d.freed();
    let mut s = parts.join(", ");
    if !gone.is_empty() {
        if !s.is_empty() {
            s.push_str("; ");
        }
        s.push_str(&format!("freed: {}", ids_all(&gone)));
    }
    s
}

/// Up to six ids, then how many more.
fn ids_all(v: &[String]) -> String {
    if v.len() <= 6 {
        v.join(" ")
    } else {
        format!("{} and {} more", v[..6].join(" "), v.len() - 6)
    }
}

/// The whole difference, one section per kind of thing, each item on its own line, at most
/// `limit` items per section (then how many more). Nothing changed: one line that says so.
pub fn lines(d: &StateDiff, limit: usize) -> Vec<String> {
    let mut out = Vec::new();
    if d.is_empty() {
        out.push("nothing changed".to_string());
        return out;
    }
    // An item is one line, or several (an object's changes under it).
    let mut section = |title: String, items: Vec<Vec<String>>| {
        if items.is_empty() {
            return;
        }
        out.push(format!("{title} ({}):", items.len()));
        let n = items.len();
        for i in items.into_iter().take(limit) {
            out.extend(i.into_iter().map(|l| format!("  {l}")));
        }
        if n > limit {
            out.push(format!("  ... and {} more", n - limit));
        }
    };
    section(
        "address spaces".into(),
        d.mms
            .iter()
            .map(|m| match (m.before, m.after) {
                (None, Some(a)) => format!("+ pid {} ({a})", m.pid),
                (Some(b), None) => format!("- pid {} ({b}) gone", m.pid),
                (Some(b), Some(a)) => format!("~ pid {} {b} -> {a} (exec)", m.pid),
                (None, None) => format!("pid {}", m.pid),
            })
            .map(|l| vec![l])
            .collect(),
    );
    section(
        "vmas".into(),
        d.vmas
            .iter()
            .map(|v| match (&v.before, &v.after) {
                (None, Some(a)) => format!("+ {} {}", v.id, vma_text(v.pid, a)),
                (Some(b), None) => format!("- {} {} gone", v.id, vma_text(v.pid, b)),
                (Some(b), Some(a)) => format!(
                    "~ {} {} -> {}",
                    v.id,
                    vma_text(v.pid, b),
                    vma_text(v.pid, a)
                ),
                (None, None) => v.id.to_string(),
            })
            .map(|l| vec![l])
            .collect(),
    );
    for (name, f) in PTE_KINDS {
        section(
            format!("ptes {name}"),
            d.ptes_how(f).map(|c| vec![pte_change_text(c)]).collect(),
        );
    }
    let (mut made, mut freed, mut changed) = (Vec::new(), Vec::new(), Vec::new());
    let copies = d.copy_sources();
    for p in &d.pages {
        let t = vec![page_change_text(p, copies.get(&p.page).copied())];
        if p.is_new() {
            made.push(t);
        } else if p.is_freed() {
            freed.push(t);
        } else {
            changed.push(t);
        }
    }
    section("pages new".into(), made);
    section("pages changed".into(), changed);
    section("pages freed".into(), freed);
    let (mut made, mut freed, mut changed) = (Vec::new(), Vec::new(), Vec::new());
    for o in &d.objects {
        match (&o.before, &o.after) {
            (None, Some(a)) => made.push(vec![format!("+ {} {a}", o.kind)]),
            (Some(b), None) => freed.push(vec![format!("- {} {b}", o.kind)]),
            _ => changed.push(object_change_lines(o)),
        }
    }
    section("rmap objects new".into(), made);
    section("rmap objects changed".into(), changed);
    section("rmap objects freed".into(), freed);
    out
}

#[derive(Serialize)]
struct DiffJson<'a> {
    scenario: &'a str,
    scheme: &'a str,
    from: usize,
    to: usize,
    summary: String,
    mms: Vec<serde_json::Value>,
    vmas: Vec<serde_json::Value>,
    ptes: Vec<serde_json::Value>,
    pages: Vec<serde_json::Value>,
    objects: Vec<serde_json::Value>,
}

fn pte_json(v: PteVal) -> serde_json::Value {
    use serde_json::json;
    match v {
        PteVal::None => serde_json::Value::Null,
        PteVal::Page { page, writable, .. } => {
            json!({ "page": page.to_string(), "writable": writable })
        }
        PteVal::Zero { .. } => json!({ "zero": true }),
        PteVal::Swap { slot, .. } => json!({ "swap": slot.0 }),
    }
}

/// The difference as JSON (see README, `rmapviz diff --json`).
pub fn to_json(d: &StateDiff, scenario: &str, scheme: &str, from: usize, to: usize) -> String {
    use serde_json::json;
    let vma = |v: &Option<Vma>| {
        v.as_ref().map(|v| {
            json!({ "start": v.start, "end": v.end, "pgoff": v.pgoff, "prot": v.prot.to_string() })
        })
    };
    let page = |p: Option<crate::session::PageState>| {
        p.map(|p| {
            json!({ "anon": p.anon, "mapcount": p.mapcount, "mapping": p.mapping, "index": p.index })
        })
    };
    let j = DiffJson {
        scenario,
        scheme,
        from,
        to,
        summary: summary(d),
        mms: d
            .mms
            .iter()
            .map(|m| json!({ "pid": m.pid, "before": m.before.map(|x| x.to_string()), "after": m.after.map(|x| x.to_string()) }))
            .collect(),
        vmas: d
            .vmas
            .iter()
            .map(|v| json!({ "id": v.id.to_string(), "pid": v.pid, "before": vma(&v.before), "after": vma(&v.after) }))
            .collect(),
        ptes: d
            .ptes
            .iter()
            .map(|c| {
                let from = match c.how {
                    PteHow::Copied { from } => json!({ "pid": from.0, "addr": from.1 }),
                    PteHow::Moved { from } => json!({ "pid": c.pid, "addr": from }),
                    _ => serde_json::Value::Null,
                };
                json!({ "pid": c.pid, "addr": c.addr, "how": c.how.as_str(), "from": from,
                        "before": pte_json(c.before), "after": pte_json(c.after) })
            })
            .collect(),
        pages: d
            .pages
            .iter()
            .map(|p| json!({ "page": p.page.to_string(), "before": page(p.before), "after": page(p.after) }))
            .collect(),
        objects: d
            .objects
            .iter()
            .map(|o| {
                let changes: Vec<serde_json::Value> = o
                    .deltas
                    .iter()
                    .map(|d| match d {
                        ObjectDelta::Field { name, before, after } => {
                            json!({ "field": name, "before": before, "after": after })
                        }
                        ObjectDelta::Links { label, out, added, removed } => json!({
                            "links": label,
                            "direction": if *out { "out" } else { "in" },
                            "added": added,
                            "removed": removed,
                        }),
                    })
                    .collect();
                json!({ "key": o.key, "kind": o.kind, "before": o.before, "after": o.after,
                        "changes": changes })
            })
            .collect(),
    };
    let mut s = serde_json::to_string_pretty(&j).unwrap_or_default();
    s.push('\n');
    s
}
