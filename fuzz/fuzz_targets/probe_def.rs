//! ProbeDef::parse on arbitrary UTF-8: never panics, error positions lie inside the text, and
//! whatever parses prints back (Display) to text that parses to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lktrace::tracefs::probe::ProbeDef;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    match ProbeDef::parse(s) {
        Ok(def) => {
            let text = def.to_string();
            let again = ProbeDef::parse(&text)
                .unwrap_or_else(|e| panic!("{s:?} printed as {text:?}, which fails: {}", e.reason));
            assert_eq!(again, def, "round trip through {text:?}");
            let _ = def.event_name();
        }
        Err(e) => {
            assert!(e.position <= s.len());
            assert!(s.is_char_boundary(e.position));
        }
    }
});
