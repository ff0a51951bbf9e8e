//! Feeds arbitrary bytes to the scenario reader and runs whatever it accepts: neither may panic,
//! whatever the file says.

#![no_main]

use libfuzzer_sys::fuzz_target;

/// Longer scenarios only make each run slower; the reader's paths are all reached below this.
const MAX_STEPS: usize = 200;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(scenario) = setguard::parse_scenario("fuzz.toml", &text) {
        if scenario.steps.len() <= MAX_STEPS {
            let timeline = setguard::scenario::run::run(&scenario);
            let _ = setguard::scenario::render::text(std::slice::from_ref(&timeline));
            let _ = setguard::scenario::render::json(std::slice::from_ref(&timeline));
        }
    }
});
