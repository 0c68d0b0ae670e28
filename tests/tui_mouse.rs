//! The mouse, through the real binary in a pseudo-terminal (`--mouse`): SGR mouse reports as a
//! terminal sends them (`ESC [ < button ; column ; row M`, `m` on release, 1-based), aimed at
//! what the screen shows (read back with vt100): a click on a step of the timeline shows that
//! step, a click on a node of the graph selects it (the inspector follows), the wheel over the
//! timeline scrolls its list without stepping, the wheel over the narrative scrolls it to its
//! last lines. Skips (saying why) where no pseudo-terminal can be opened.

mod common;
mod pty;
use common::dir::test_dir;
use pty::Screen;

/// A left click at 0-based (row, column): press and release.
fn click(s: &mut Screen, (row, col): (u16, u16)) {
    let (r, c) = (row + 1, col + 1);
    s.send(&format!("\x1b[<0;{c};{r}M\x1b[<0;{c};{r}m"));
}

/// One notch of the wheel, down, at 0-based (row, column).
fn wheel_down(s: &mut Screen, (row, col): (u16, u16)) {
    s.send(&format!("\x1b[<65;{};{}M", col + 1, row + 1));
}

#[test]
fn clicks_select_a_step_and_a_node_and_the_wheel_scrolls_the_pane_under_it() {
    let dir = test_dir("mouse");
    let Some(mut s) = Screen::start(&["--mouse", "--no-journal"], &dir.join("state"), &dir) else {
        return;
    };
    s.wait_for("step 0/5");
    let rows = s.rows();
    // The steps pane is the left one; its title says where it is.
    let steps = s.find("steps 0/5", |_, _| true).expect("the steps pane");
    let right_of_steps = rows[steps.0 as usize]
        .chars()
        .skip(steps.1 as usize)
        .position(|c| c == '┐')
        .map(|k| steps.1 + k as u16)
        .expect("the steps pane's corner");
    let in_steps = |_: u16, c: u16| c < right_of_steps;

    // Step 3 of the timeline (the fork).
    let fork = s
        .find("fork 1→2", in_steps)
        .expect("step 3 in the timeline");
    click(&mut s, fork);
    s.wait_for("step 3/5");
    s.wait_for("Fork(pid: 1, child: 2)");

    // pid 2 in the graph: the selection moves there and the inspector shows it.
    assert!(
        !s.contents().contains("mm pid2"),
        "pid2 is not selected before the click"
    );
    let pid2 = s
        .find("pid 2", |_, c| c > right_of_steps)
        .expect("pid 2 in the graph");
    click(&mut s, pid2);
    s.wait_for("mm pid2");

    // The wheel over the timeline scrolls its list (all six steps fit here: nothing moves); it
    // does not step. `space` then shows step 4, and `t`'s status says both keys were handled.
    wheel_down(&mut s, fork);
    s.send(" t");
    s.wait_for("theme light");
    assert!(s.contents().contains("step 4/5"), "{}", s.contents());

    // S3's SwapOut under anonmm-naive (3): the narrative's last lines, that try_to_unmap
    // failed (docs/semantics.md §7 S3), are below its bottom until the wheel scrolls it.
    s.send("G3");
    s.wait_for("step 5/5");
    // The header counts the designs of the registry: scheme 3 of them all.
    s.wait_for(&format!(
        "scheme 3/{}",
        rmapviz::schemes::all_schemes().len()
    ));
    let narrative = s
        .find(" anonmm-naive ", |r, c| r > 2 && c < 10)
        .expect("the narrative pane's title");
    assert!(!s.contents().contains("try_to_unmap failed"));
    for _ in 0..4 {
        wheel_down(&mut s, (narrative.0 + 2, narrative.1 + 4));
    }
    s.wait_for("try_to_unmap failed");

    s.send("q");
    assert!(s.wait_exit().success());
}
