//! A canonical picture of a `State` to compare two states: `State` has no `PartialEq`, and its
//! hash maps print in a random order, so the hashed fields are sorted first.
//!
//! The destructuring names every field: a field added to `State` stops this from compiling until
//! it is added here too, so no field escapes the comparison.

use setguard_core::State;
use std::fmt::Debug;

fn sorted<T: Debug + Ord>(it: impl Iterator<Item = T>) -> String {
    let mut v: Vec<T> = it.collect();
    v.sort();
    format!("{v:?}")
}

/// The fields that differ between two states (leaving out `ignore`), each with both values.
pub fn diff(a: &State, b: &State, ignore: &[&str]) -> Vec<String> {
    let State {
        production,
        policy,
        people,
        items,
        lots,
        scenes,
        trainings,
        incidents,
        concerns,
        live_exceptions,
        compliance_contact,
        inspected,
        called,
        on_break,
        day_started,
        stop_work,
        walkout,
        meetings,
        handed_over,
        deadlines,
        deadline_at,
        handlers,
        firing_out,
        refusals,
        events,
        last_at,
    } = a;
    let mut out = Vec::new();
    let mut field = |name: &str, same: bool, show: &dyn Fn(&State) -> String| {
        if !same && !ignore.contains(&name) {
            out.push(format!(
                "{name}:\n  one:   {}\n  other: {}",
                show(a),
                show(b)
            ));
        }
    };
    macro_rules! plain {
        ($($f:ident),+) => {$(
            field(stringify!($f), *$f == b.$f, &|s: &State| format!("{:?}", s.$f));
        )+};
    }
    plain!(
        production,
        policy,
        people,
        items,
        lots,
        scenes,
        trainings,
        incidents,
        concerns,
        live_exceptions,
        compliance_contact,
        inspected,
        called,
        on_break,
        day_started,
        stop_work,
        walkout,
        deadlines,
        handlers,
        firing_out,
        refusals,
        events,
        last_at
    );
    // Hash maps compare regardless of order; they are shown sorted.
    field("meetings", *meetings == b.meetings, &|s: &State| {
        let mut v: Vec<_> = s.meetings.iter().collect();
        v.sort_by(|x, y| x.0.cmp(y.0));
        format!("{v:?}")
    });
    field(
        "handed_over",
        *handed_over == b.handed_over,
        &|s: &State| sorted(s.handed_over.iter()),
    );
    field(
        "deadline_at",
        *deadline_at == b.deadline_at,
        &|s: &State| sorted(s.deadline_at.iter()),
    );
    out
}
