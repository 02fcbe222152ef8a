//! Running a peer's Python script: it writes its results as JSON to a file the caller names, and
//! reports a failure by its exit status and the last line of its stderr.

use std::io::ErrorKind;
use std::path::Path;
use std::process::{Command, Stdio};

/// Runs `cmd` (a Python interpreter on `script`) and returns what it wrote to `json`, removing
/// the file; None when the interpreter itself does not exist here. A script that fails is an
/// error naming it and quoting the last line it printed to stderr.
pub fn run_script(mut cmd: Command, script: &Path, json: &Path) -> Result<Option<String>, String> {
    let output = match cmd.stdin(Stdio::null()).output() {
        Ok(output) => output,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot start {}: {e}", script.display())),
    };
    if !output.status.success() {
        let said = String::from_utf8_lossy(&output.stderr);
        let last = said.lines().last().unwrap_or("").trim();
        return Err(format!(
            "{} failed ({}): {last}",
            script.display(),
            output.status
        ));
    }
    let text = std::fs::read_to_string(json)
        .map_err(|e| format!("cannot read the peer's results {}: {e}", json.display()))?;
    // A leftover temp file is harmless; failing to remove it is not worth an error.
    let _ = std::fs::remove_file(json);
    Ok(Some(text))
}
