//! The generated production the benches share: a long run of safe hand-overs.

use chrono::{Duration, NaiveDateTime};
use std::fmt::Write;

const ITEMS: usize = 500;

/// A production of 500 revolvers and a scene a day (06:00 to 22:00, then wrap); the safe hand-over of each in turn (check
/// out, load dummies, inspect, confirm, second check, announce cold, hand over, hand back,
/// unload, store), ten steps a cycle, until `steps` steps are written.
pub fn generate(steps: usize) -> String {
    let mut s = String::from(
        "[production]\nid = \"bench\"\nname = \"Bench\"\npolicy = \"standard\"\ntimezone = \"UTC\"\n",
    );
    for (id, role, cred) in [
        ("armorer", "armorer", "handler"),
        ("first-ad", "first-ad", "csatf-s2"),
        ("actor", "performer", "training"),
    ] {
        let _ = write!(
            s,
            "[[person]]\nid = \"{id}\"\nname = \"{id}\"\nroles = [\"{role}\"]\ncredentials = [{{ kind = \"{cred}\", expires = \"2099-01-01\" }}]\n"
        );
    }
    for i in 0..ITEMS {
        let _ = write!(
            s,
            "[[item]]\nid = \"gun-{i}\"\nkind = \"functional\"\nclass = \"revolver\"\ncalibre = \".45 Colt\"\nserial = \"R-{i}\"\n"
        );
    }
    s.push_str("[[lot]]\nid = \"dummies\"\nammo = \"dummy\"\ncalibre = \".45 Colt\"\nrounds = 60\nsource = \"Acme\"\n");
    let items: Vec<String> = (0..ITEMS).map(|i| format!("\"gun-{i}\"")).collect();
    let items = items.join(", ");
    let mut t =
        NaiveDateTime::parse_from_str("2021-10-01T06:00:00", "%Y-%m-%dT%H:%M:%S").expect("time");
    let mut n = 0;
    let mut step = |s: &mut String, t: &mut NaiveDateTime, by: &str, body: &str| {
        *t += Duration::seconds(5);
        let _ = write!(
            s,
            "[[step]]\nat = \"{}\"\nby = \"{by}\"\n{body}\n",
            t.format("%Y-%m-%dT%H:%M:%S")
        );
        n += 1;
        n
    };
    step(
        &mut s,
        &mut t,
        "first-ad",
        "do = \"name-compliance-contact\"\nperson = \"first-ad\"",
    );
    step(
        &mut s,
        &mut t,
        "armorer",
        "do = \"verify-lot\"\nlot = \"dummies\"\ncounted = 60",
    );
    let mut day = String::new();
    let mut cycle = 0usize;
    loop {
        // A shooting day runs 06:00 to 22:00: then wrap, and start the next at 06:00.
        if !day.is_empty() && t.format("%H").to_string().as_str() >= "22" {
            step(&mut s, &mut t, "first-ad", "do = \"wrap\"");
            t = (t.date() + Duration::days(1))
                .and_hms_opt(6, 0, 0)
                .expect("06:00");
        }
        let today = t.format("%Y-%m-%d").to_string();
        if today != day {
            day = today;
            step(&mut s, &mut t, "first-ad", "do = \"start-day\"");
            let scene = format!("scene-{day}");
            step(
                &mut s,
                &mut t,
                "first-ad",
                &format!(
                    "do = \"schedule-scene\"\nid = \"{scene}\"\ndate = \"{day}\"\nitems = [{items}]\nperformers = [\"actor\"]\nroster = [\"actor\", \"first-ad\"]"
                ),
            );
            step(
                &mut s,
                &mut t,
                "first-ad",
                &format!(
                    "do = \"safety-meeting\"\nscenes = [\"{scene}\"]\nattendees = [\"actor\", \"first-ad\", \"armorer\"]"
                ),
            );
            step(
                &mut s,
                &mut t,
                "first-ad",
                &format!("do = \"call-scene\"\nscene = \"{scene}\""),
            );
        }
        let g = format!("gun-{}", cycle % ITEMS);
        cycle += 1;
        let body = [
            ("armorer", format!("do = \"check-out\"\nitem = \"{g}\"")),
            (
                "armorer",
                format!("do = \"load\"\nitem = \"{g}\"\nlot = \"dummies\"\nrounds = 6"),
            ),
            (
                "armorer",
                format!(
                    "do = \"inspect\"\nitem = \"{g}\"\nstate = \"dummies\"\nrounds = 6\nlot = \"dummies\""
                ),
            ),
            ("actor", format!("do = \"confirm-check\"\nitem = \"{g}\"")),
            ("first-ad", format!("do = \"second-check\"\nitem = \"{g}\"")),
            (
                "armorer",
                format!("do = \"announce\"\nitem = \"{g}\"\nstatus = \"cold\""),
            ),
            (
                "armorer",
                format!("do = \"hand-over\"\nitem = \"{g}\"\nto = \"actor\""),
            ),
            (
                "actor",
                format!("do = \"hand-over\"\nitem = \"{g}\"\nto = \"armorer\""),
            ),
            ("armorer", format!("do = \"unload\"\nitem = \"{g}\"")),
            ("armorer", format!("do = \"store\"\nitem = \"{g}\"")),
        ];
        for (by, b) in body {
            if step(&mut s, &mut t, by, &b) >= steps {
                return s;
            }
        }
    }
}
