//! The demo production (`setguard serve --demo`): a crew, three revolvers and a box of dummies
//! on a ranch set, and a shooting day in progress, so a newcomer sees a living set board.
//!
//! Every event goes through the same rules as on a real set (a refused step would fail the
//! demo's test); only the times are set, to the minutes just before the server started.

use crate::accounts::Accounts;
use crate::clock::local_now;
use crate::live::{LiveError, Productions};
use setguard_core::{At, Command, PersonId, ProductionId};

/// The demo production's id.
pub const DEMO: &str = "dusty-creek";

const ZONE: &str = "America/Denver";

/// Who does each step, and the command, as the API would take it.
const DAY: &[(Option<&str>, &str)] = &[
    (
        None,
        r#"{"do":"register-person","id":"pat","name":"Pat Reyes (producer)"}"#,
    ),
    (
        None,
        r#"{"do":"assign-role","person":"pat","role":"producer"}"#,
    ),
    (
        None,
        r#"{"do":"register-person","id":"dana","name":"Dana Cruz (safety supervisor)"}"#,
    ),
    (
        None,
        r#"{"do":"grant-credential","person":"dana","kind":"safety-supervisor","expires":"2030-01-01"}"#,
    ),
    (
        None,
        r#"{"do":"assign-role","person":"dana","role":"safety-supervisor"}"#,
    ),
    (
        None,
        r#"{"do":"register-person","id":"rosa","name":"Rosa Vega (armorer)"}"#,
    ),
    (
        None,
        r#"{"do":"grant-credential","person":"rosa","kind":"handler","expires":"2030-01-01"}"#,
    ),
    (
        None,
        r#"{"do":"assign-role","person":"rosa","role":"armorer"}"#,
    ),
    (
        None,
        r#"{"do":"register-person","id":"sam","name":"Sam Okafor (1st AD)"}"#,
    ),
    (
        None,
        r#"{"do":"grant-credential","person":"sam","kind":"csatf-s2","expires":"2030-01-01"}"#,
    ),
    (
        None,
        r#"{"do":"assign-role","person":"sam","role":"first-ad"}"#,
    ),
    (
        None,
        r#"{"do":"register-person","id":"lee","name":"Lee Marsh (performer)"}"#,
    ),
    (
        None,
        r#"{"do":"grant-credential","person":"lee","kind":"training","classes":["revolver"],"expires":"2030-01-01"}"#,
    ),
    (
        None,
        r#"{"do":"assign-role","person":"lee","role":"performer"}"#,
    ),
    (
        None,
        r#"{"do":"register-person","id":"ines","name":"Ines Park (camera)"}"#,
    ),
    (
        None,
        r#"{"do":"assign-role","person":"ines","role":"crew"}"#,
    ),
    (
        None,
        r#"{"do":"register-item","id":"colt-1","kind":"functional","class":"revolver","calibre":".45 Colt","serial":"DC-0001"}"#,
    ),
    (
        None,
        r#"{"do":"register-item","id":"colt-2","kind":"functional","class":"revolver","calibre":".45 Colt","serial":"DC-0002"}"#,
    ),
    (
        None,
        r#"{"do":"register-item","id":"colt-3","kind":"functional","class":"revolver","calibre":".45 Colt","serial":"DC-0003"}"#,
    ),
    (
        None,
        r#"{"do":"register-lot","id":"dummies-a","ammo":"dummy","calibre":".45 Colt","rounds":50,"source":"Acme Prop Rounds"}"#,
    ),
    (
        Some("sam"),
        r#"{"do":"name-compliance-contact","person":"sam"}"#,
    ),
    (
        Some("rosa"),
        r#"{"do":"verify-lot","lot":"dummies-a","counted":50}"#,
    ),
    (None, r#"{"do":"start-day"}"#),
    (
        None,
        r#"{"do":"schedule-scene","id":"saloon-standoff","date":"{today}","items":["colt-1","colt-2","colt-3"],"performers":["lee"],"roster":["lee","sam","ines","rosa"]}"#,
    ),
    (
        Some("sam"),
        r#"{"do":"safety-meeting","scenes":["saloon-standoff"],"attendees":["lee","sam","ines","rosa"]}"#,
    ),
    (
        Some("sam"),
        r#"{"do":"call-scene","scene":"saloon-standoff"}"#,
    ),
    (Some("rosa"), r#"{"do":"check-out","item":"colt-1"}"#),
    (
        Some("rosa"),
        r#"{"do":"load","item":"colt-1","lot":"dummies-a","rounds":6}"#,
    ),
    (
        Some("rosa"),
        r#"{"do":"inspect","item":"colt-1","state":"dummies","rounds":6,"lot":"dummies-a"}"#,
    ),
    (Some("lee"), r#"{"do":"confirm-check","item":"colt-1"}"#),
    (Some("sam"), r#"{"do":"second-check","item":"colt-1"}"#),
    (
        Some("rosa"),
        r#"{"do":"announce","item":"colt-1","status":"cold"}"#,
    ),
    (
        Some("rosa"),
        r#"{"do":"hand-over","item":"colt-1","to":"lee"}"#,
    ),
    (Some("rosa"), r#"{"do":"check-out","item":"colt-2"}"#),
];

/// The demo's password, for every demo account: a demo is for looking around, never for a set.
pub const PASSWORD: &str = "setguard-demo";

/// The demo accounts: username (the person they are on the demo production, except the
/// administrator), who they are, and their PIN.
pub const ACCOUNTS: &[(&str, &str, &str)] = &[
    ("admin", "server administrator", "0000"),
    ("pat", "Pat Reyes, producer", "1000"),
    ("rosa", "Rosa Vega, armorer", "1111"),
    ("sam", "Sam Okafor, 1st AD", "2222"),
    ("lee", "Lee Marsh, performer", "3333"),
    ("ines", "Ines Park, camera", "4444"),
    ("dana", "Dana Cruz, safety supervisor", "5555"),
];

/// Makes the demo accounts that do not exist yet, each linked to its person on the demo.
pub async fn accounts(accounts: &Accounts) -> anyhow::Result<()> {
    let accounts = accounts.clone();
    tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        for (user, _, pin) in ACCOUNTS {
            if accounts.exists(user)? {
                continue;
            }
            let admin = *user == "admin";
            accounts.add(user, PASSWORD, pin, admin)?;
            if !admin {
                accounts.link(user, DEMO, user)?;
            }
        }
        Ok(())
    })
    .await?
}

/// Loads the demo production unless the ledger already holds it. Its day ends a minute before
/// now on the production's clock.
pub async fn load_if_absent(productions: &Productions) -> Result<bool, LiveError> {
    load_if_absent_at(productions, local_now(ZONE)).await
}

/// [`load_if_absent`] with the production's clock reading `now`.
pub async fn load_if_absent_at(productions: &Productions, now: At) -> Result<bool, LiveError> {
    let id = ProductionId::parse(DEMO).map_err(|e| LiveError::Internal(e.to_string()))?;
    if productions.ids().await?.contains(&id) {
        return Ok(false);
    }
    let minutes = u32::try_from(DAY.len() + 2).unwrap_or(60);
    let mut at = At::from_naive(now.naive() - chrono::Duration::minutes(i64::from(minutes)));
    let open = Command::OpenProduction {
        id: id.clone(),
        name: "Dusty Creek (demo)".to_owned(),
        policy: setguard_core::PolicyName::Standard,
        timezone: ZONE.to_owned(),
    };
    productions.open(&id, open, at).await?;
    // The shooting day is the date the day is started on, which is not the opening's when the
    // demo is loaded just after midnight: the scene is scheduled for that date.
    let started = DAY
        .iter()
        .position(|(_, json)| json.contains(r#""do":"start-day""#))
        .map_or(0, |i| i + 1);
    let today = at
        .plus_minutes(u32::try_from(started).unwrap_or(0))
        .date()
        .to_string();
    for (by, json) in DAY {
        at = at.plus_minutes(1);
        let json = json.replace("{today}", &today);
        let cmd: Command = serde_json::from_str(&json)
            .map_err(|e| LiveError::Internal(format!("demo step {json}: {e}")))?;
        let by = by
            .map(PersonId::parse)
            .transpose()
            .map_err(|e| LiveError::Internal(e.to_string()))?;
        let done = productions.execute_at(&id, by, &cmd, Some(at)).await?;
        if !done.refused.is_empty() {
            return Err(LiveError::Internal(format!(
                "demo step {json} was refused: {:?}",
                done.refused
            )));
        }
    }
    Ok(true)
}
