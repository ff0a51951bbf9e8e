//! Files `setguard replay` can't read exit 2 with `file:line:column: what was wrong and what was
//! expected there`. None of these depend on the behaviour of the rules.

mod common;
use common::*;

/// Asserts exit 2 and a message at `line:column` (column `None`: any) containing every `want`.
fn assert_unreadable(tag: &str, text: &str, line: usize, column: Option<usize>, want: &[&str]) {
    let (run, f) = replay(tag, text, &[]);
    assert_eq!(run.code, 2, "exit code; stderr:\n{}", run.stderr);
    let prefix = match column {
        Some(c) => format!("{}:{line}:{c}: ", f.name()),
        None => format!("{}:{line}:", f.name()),
    };
    let msg = run
        .stderr
        .lines()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no line starting {prefix:?} in stderr:\n{}", run.stderr));
    for w in want {
        assert!(msg.contains(w), "{w:?} not in {msg:?}");
    }
    assert!(run.stdout.is_empty(), "nothing is replayed: {}", run.stdout);
}

const ADVANCE: &str = "[[step]]\nat = \"2021-10-21T09:00\"\ndo = \"advance\"\n";

#[test]
fn toml_syntax_error() {
    let text = scenario("[[step]]\nat = \"2021-10-21T09:00\ndo = \"advance\"\n");
    let line = line_of(&text, "at = \"2021");
    assert_unreadable("syntax", &text, line, None, &[]);
}

#[test]
fn unknown_command_word_lists_the_words() {
    let text = scenario("[[step]]\nat = \"2021-10-21T09:00\"\nby = \"armorer\"\ndo = \"fire\"\n");
    let line = line_of(&text, "do = \"fire\"");
    assert_unreadable(
        "word",
        &text,
        line,
        Some(6),
        &[
            "unknown command `fire`",
            "hand-over",
            "check-out",
            "advance",
        ],
    );
}

#[test]
fn unknown_field_in_a_step() {
    let text = scenario(&format!("{ADVANCE}colour = \"red\"\n"));
    let line = line_of(&text, "colour");
    assert_unreadable("field", &text, line, Some(1), &["unknown field `colour`"]);
}

#[test]
fn unknown_field_in_an_item_table_lists_its_fields() {
    let text = SETUP.replace(
        "serial = \"R-0001\"",
        "serial = \"R-0001\"\ncolour = \"black\"",
    ) + "\n"
        + ADVANCE;
    let line = line_of(&text, "colour");
    assert_unreadable(
        "itemfield",
        &text,
        line,
        Some(1),
        &["unknown field `colour`", "[[item]]", "calibre"],
    );
}

#[test]
fn wrong_type_for_rounds() {
    let text = scenario(
        "[[step]]\nat = \"2021-10-21T09:00\"\nby = \"armorer\"\ndo = \"load\"\nitem = \"colt\"\nlot = \"dummies-old\"\nrounds = \"six\"\n",
    );
    let line = line_of(&text, "rounds = \"six\"");
    assert_unreadable("type", &text, line, Some(10), &["`rounds`", "whole number"]);
}

#[test]
fn unknown_word_of_a_vocabulary_lists_the_words() {
    let text = SETUP.replace("kind = \"functional\"", "kind = \"laser\"") + "\n" + ADVANCE;
    let line = line_of(&text, "kind = \"laser\"");
    assert_unreadable(
        "laser",
        &text,
        line,
        Some(8),
        &["laser", "functional", "blank-adapted", "non-firing"],
    );
}

#[test]
fn unknown_person() {
    let text = scenario(
        "[[step]]\nat = \"2021-10-21T09:00\"\nby = \"ghost\"\ndo = \"check-out\"\nitem = \"colt\"\n",
    );
    let line = line_of(&text, "by = \"ghost\"");
    assert_unreadable(
        "person",
        &text,
        line,
        Some(6),
        &["unknown person `ghost`", "[[person]]"],
    );
}

#[test]
fn unknown_item_declared_nowhere() {
    let text = scenario(
        "[[step]]\nat = \"2021-10-21T09:00\"\nby = \"armorer\"\ndo = \"check-out\"\nitem = \"glock\"\n",
    );
    let line = line_of(&text, "item = \"glock\"");
    assert_unreadable(
        "item",
        &text,
        line,
        Some(8),
        &["unknown item `glock`", "register-item"],
    );
}

#[test]
fn item_registered_by_a_later_step_is_not_a_file_error() {
    let text = scenario(
        "[[step]]\nat = \"2021-10-21T09:00\"\nby = \"armorer\"\ndo = \"check-out\"\nitem = \"glock\"\nexpect = \"refused\"\n\n\
         [[step]]\nat = \"2021-10-21T09:05\"\nby = \"armorer\"\ndo = \"register-item\"\nid = \"glock\"\nkind = \"functional\"\nclass = \"pistol\"\n",
    );
    let (run, _f) = replay("later", &text, &[]);
    assert_ne!(run.code, 2, "stderr:\n{}", run.stderr);
}

#[test]
fn undefined_ref() {
    let text = scenario(
        "[[step]]\nat = \"2021-10-21T09:00\"\nby = \"safety\"\ndo = \"close-incident\"\nincident = \"nope\"\nroot_cause = \"a\"\ncorrective_action = \"b\"\n",
    );
    let line = line_of(&text, "incident = \"nope\"");
    assert_unreadable("ref", &text, line, Some(12), &["ref `nope` is not defined"]);
}

#[test]
fn ref_defined_only_by_a_later_step_is_undefined() {
    let text = scenario(
        "[[step]]\nat = \"2021-10-21T09:00\"\nby = \"safety\"\ndo = \"respond-concern\"\nconcern = \"c\"\nresponse = \"ok\"\n\n\
         [[step]]\nat = \"2021-10-21T09:05\"\nby = \"actor\"\ndo = \"raise-concern\"\ntext = \"hmm\"\nref = \"c\"\n",
    );
    let line = line_of(&text, "concern = \"c\"");
    assert_unreadable(
        "lateref",
        &text,
        line,
        Some(11),
        &["ref `c` is not defined"],
    );
}

#[test]
fn duplicate_ref() {
    let text = scenario(
        "[[step]]\nat = \"2021-10-21T09:00\"\nby = \"actor\"\ndo = \"raise-concern\"\ntext = \"a\"\nref = \"c\"\n\n\
         [[step]]\nat = \"2021-10-21T09:05\"\nby = \"actor\"\ndo = \"raise-concern\"\ntext = \"b\"\nref = \"c\"\n",
    );
    let line = text
        .match_indices("ref = \"c\"")
        .nth(1)
        .map_or(0, |(i, _)| text[..i].matches('\n').count() + 1);
    assert_unreadable("dupref", &text, line, Some(7), &["already defined"]);
}

#[test]
fn time_going_backwards() {
    let text = scenario(
        "[[step]]\nat = \"2021-10-21T09:00\"\ndo = \"advance\"\n\n[[step]]\nat = \"2021-10-21T08:59\"\ndo = \"advance\"\n",
    );
    let line = line_of(&text, "08:59");
    assert_unreadable("time", &text, line, Some(6), &["time goes backwards"]);
}

#[test]
fn unreadable_time() {
    let text = scenario("[[step]]\nat = \"21/10/2021\"\ndo = \"advance\"\n");
    let line = line_of(&text, "21/10/2021");
    assert_unreadable("badtime", &text, line, Some(6), &["2021-10-21T11:45"]);
}

#[test]
fn bad_rule_id() {
    let text = scenario(
        "[[step]]\nat = \"2021-10-21T09:00\"\nby = \"armorer\"\ndo = \"check-out\"\nitem = \"colt\"\nexpect = \"refused\"\nrule = \"no-guns\"\n",
    );
    let line = line_of(&text, "no-guns");
    assert_unreadable(
        "rule",
        &text,
        line,
        Some(8),
        &["not a rule id", "setguard rules"],
    );
}

#[test]
fn bad_alarm_id() {
    let text =
        scenario("[[step]]\nat = \"2021-10-21T09:00\"\ndo = \"advance\"\nalarms = [\"fire\"]\n");
    let line = line_of(&text, "alarms");
    assert_unreadable("alarm", &text, line, Some(10), &["not a rule id"]);
}

#[test]
fn missing_required_field() {
    let text = scenario(
        "[[step]]\nat = \"2021-10-21T09:00\"\nby = \"armorer\"\ndo = \"load\"\nitem = \"colt\"\nrounds = 6\n",
    );
    let line = line_of(&text, "[[step]]");
    assert_unreadable(
        "required",
        &text,
        line,
        Some(1),
        &["`load` needs the field `lot`"],
    );
}

#[test]
fn missing_by() {
    let text =
        scenario("[[step]]\nat = \"2021-10-21T09:00\"\ndo = \"check-out\"\nitem = \"colt\"\n");
    let line = line_of(&text, "[[step]]");
    assert_unreadable("by", &text, line, Some(1), &["needs `by`"]);
}

#[test]
fn missing_production() {
    let without = SETUP
        .split("[[person]]")
        .skip(1)
        .map(|s| format!("[[person]]{s}"))
        .collect::<String>()
        + "\n"
        + ADVANCE;
    assert_unreadable("noprod2", &without, 1, Some(1), &["no [production] table"]);
}

#[test]
fn missing_file_exits_2() {
    let run = setguard(&["replay", "/nonexistent/setguard/scenario.toml"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("can't read"), "{}", run.stderr);
}

#[test]
fn unused_field_is_a_warning_not_an_error() {
    let text = scenario(&format!("{ADVANCE}item = \"colt\"\n"));
    let line = line_of(&text, "do = \"advance\"") + 1;
    let (run, f) = replay("unused", &text, &[]);
    assert_ne!(run.code, 2, "{}", run.stderr);
    let want = format!(
        "{}:{line}:1: warning: field `item` is not used by `advance`; ignored",
        f.name()
    );
    assert!(
        run.stderr.contains(&want),
        "{want:?} not in\n{}",
        run.stderr
    );
}

#[test]
fn several_errors_are_all_reported_in_file_order() {
    let text = scenario(
        "[[step]]\nat = \"2021-10-21T09:00\"\nby = \"ghost\"\ndo = \"advance\"\n\n[[step]]\nat = \"2021-10-21T09:01\"\nby = \"armorer\"\ndo = \"check-out\"\nitem = \"glock\"\n",
    );
    let (run, _f) = replay("several", &text, &[]);
    assert_eq!(run.code, 2);
    let ghost = run.stderr.find("ghost").unwrap_or(usize::MAX);
    let glock = run.stderr.find("glock").unwrap_or(usize::MAX);
    assert!(ghost < glock && glock < usize::MAX, "{}", run.stderr);
}
