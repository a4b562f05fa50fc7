//! Any bytes, loaded as an .xlsx/.xls workbook and as a JSON form: errors are fine,
//! panics and hangs are not.
#![no_main]

use libfuzzer_sys::fuzz_target;
use safekeep_core::forms::{self, FormFormat};

fuzz_target!(|data: &[u8]| {
    for format in [FormFormat::Xlsx, FormFormat::Json] {
        let _ = forms::load(data, format, "fuzz");
    }
});
