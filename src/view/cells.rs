//! Line cells: the direction bits a drawn line leaves in each terminal cell, the straight
//! segments routes are made of, their rasterisation into cells, and the grid that gathers and
//! merges the cells of a whole graph. [`super::route`] decides where the lines go; these are
//! the cells they leave, and [`super::glyph`] picks the glyph for each cell's bits when drawing.

use super::graph::Stroke;

/// Direction bits of a line cell.
pub const N: u8 = 1;
pub const E: u8 = 2;
pub const S: u8 = 4;
pub const W: u8 = 8;

/// One cell of a drawn line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cell {
    pub x: u16,
    /// Directions the lines through this cell go to.
    pub mask: u8,
    /// The part of `mask` that belongs to edges on the walk path.
    pub path: u8,
    /// An arrowhead into the node to the right.
    pub arrow: bool,
    /// The parts of `mask` drawn by edges of each stroke ([`Stroke`]): a cell several edges
    /// pass through may carry more than one.
    pub solid: u8,
    pub dashed: u8,
    pub double: u8,
}

impl Cell {
    /// Records that the cell's arms are drawn by an edge of stroke `s`.
    pub fn add_stroke(&mut self, s: Stroke) {
        let m = self.mask;
        match s {
            Stroke::Solid => self.solid |= m,
            Stroke::Dashed => self.dashed |= m,
            Stroke::Double => self.double |= m,
        }
    }
}

/// A straight piece of a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seg {
    /// Horizontal, cells x0..=x1 of a row; `w` / `e`: the line goes on past x0 to the west /
    /// past x1 to the east (into a node) instead of turning into a lane there.
    H {
        row: u32,
        x0: u16,
        x1: u16,
        w: bool,
        e: bool,
    },
    /// Vertical, rows r0..=r1 of a cell column.
    V { x: u16, r0: u32, r1: u32 },
}

/// The cells of one segment with their direction bits; `arrow` puts an arrowhead on the last
/// cell of a horizontal segment.
pub fn raster(s: &Seg, path: bool, arrow: bool) -> Vec<((u32, u16), Cell)> {
    let mut out = Vec::new();
    raster_each(s, path, arrow, |row, c| out.push(((row, c.x), c)));
    out
}

/// [`raster`], handing each cell and its row to `f` instead of collecting them.
pub fn raster_each(s: &Seg, path: bool, arrow: bool, mut f: impl FnMut(u32, Cell)) {
    let cell = |x: u16, mask: u8| Cell {
        x,
        mask,
        path: if path { mask } else { 0 },
        arrow: false,
        solid: 0,
        dashed: 0,
        double: 0,
    };
    match *s {
        Seg::H { row, x0, x1, w, e } => {
            if x0 > x1 {
                return;
            }
            for x in x0..=x1 {
                let mut m = 0;
                if x > x0 || w {
                    m |= W;
                }
                if x < x1 || e {
                    m |= E;
                }
                let mut c = cell(x, m);
                c.arrow = arrow && x == x1;
                f(row, c);
            }
        }
        Seg::V { x, r0, r1 } => {
            for r in r0..=r1 {
                let mut m = 0;
                if r > r0 {
                    m |= N;
                }
                if r < r1 {
                    m |= S;
                }
                f(r, cell(x, m));
            }
        }
    }
}

/// Line cells gathered row by row and merged once at the end (the bits of cells at the same
/// place ORed): a large graph rasterises tens of thousands of cells, which a map keyed by
/// place would hash one by one.
#[derive(Clone, Debug, Default)]
pub(crate) struct CellGrid {
    rows: Vec<Vec<Cell>>,
    /// Whether each row is sorted by x with one cell per place.
    merged: bool,
}

impl CellGrid {
    /// ORs `c` into the cell at `row`, `c.x`.
    pub fn add(&mut self, row: u32, c: Cell) {
        let r = row as usize;
        if r >= self.rows.len() {
            self.rows.resize_with(r + 1, Vec::new);
        }
        self.rows[r].push(c);
        self.merged = false;
    }

    /// The cells of `seg`, drawn in `stroke` (never on the walk path: [`Self::mark_path`]
    /// marks that afterwards).
    pub fn add_seg(&mut self, seg: &Seg, stroke: Stroke, arrow: bool) {
        raster_each(seg, false, arrow, |row, mut c| {
            c.add_stroke(stroke);
            self.add(row, c)
        });
    }

    /// Every cell of `other`.
    pub fn append(&mut self, other: CellGrid) {
        for (row, cells) in other.rows.into_iter().enumerate() {
            for c in cells {
                self.add(row as u32, c);
            }
        }
    }

    /// Sorts each row by x and merges the cells at one place.
    fn merge(&mut self) {
        if self.merged {
            return;
        }
        for r in &mut self.rows {
            r.sort_unstable_by_key(|c| c.x);
            r.dedup_by(|later, kept| {
                if later.x != kept.x {
                    return false;
                }
                kept.mask |= later.mask;
                kept.path |= later.path;
                kept.arrow |= later.arrow;
                kept.solid |= later.solid;
                kept.dashed |= later.dashed;
                kept.double |= later.double;
                true
            });
        }
        self.merged = true;
    }

    /// ORs the bits of `seg` into the path bits of the cells already there (none added).
    pub fn mark_path(&mut self, seg: &Seg) {
        self.merge();
        let rows = &mut self.rows;
        raster_each(seg, true, false, |row, c| {
            if let Some(r) = rows.get_mut(row as usize)
                && let Ok(k) = r.binary_search_by_key(&c.x, |o| o.x)
            {
                r[k].path |= c.mask;
            }
        });
    }

    /// The merged cells of rows `0..height`, each row sorted by x.
    pub fn into_rows(mut self, height: u32) -> Vec<Vec<Cell>> {
        self.merge();
        self.rows.resize_with(height as usize, Vec::new);
        self.rows
    }
}
