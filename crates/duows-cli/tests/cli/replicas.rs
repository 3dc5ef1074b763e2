//! `duows deployments add --replica`: replicas are checked like the deployment's endpoint
//! (the field and the fix named), kept, and listed under their deployment.

use crate::common::{duows, home};

fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn replicas_are_added_checked_and_listed() {
    let home = home();
    let add = |replicas: &[&str]| {
        let mut args = vec![
            "deployments",
            "add",
            "--name",
            "gpu-2",
            "--endpoint",
            "http://gpu-2:8000/v1",
            "--served-model",
            "m",
        ];
        for replica in replicas {
            args.extend(["--replica", replica]);
        }
        duows(&home, &args)
    };
    let bad = add(&["http://gpu-3:8000/v1", "http://gpu-4:8000"]);
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad));
    assert!(
        text(&bad).contains("deployments[0].replicas[1].endpoint")
            && text(&bad).contains(r#"fix: --replica "http://gpu-4:8000/v1""#),
        "{}",
        text(&bad)
    );
    let twice = add(&["http://gpu-2:8000/v1/"]);
    assert_eq!(twice.status.code(), Some(2), "{}", text(&twice));
    assert!(text(&twice).contains("listed twice"), "{}", text(&twice));

    let good = add(&["http://gpu-3:8000/v1", "http://gpu-4:8000/v1/"]);
    assert!(good.status.success(), "{}", text(&good));
    assert!(
        text(&good).contains("spread over 3 endpoints"),
        "{}",
        text(&good)
    );
    let listed = text(&duows(&home, &["deployments", "list"]));
    let lines: Vec<&str> = listed.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.starts_with("gpu-2"))
        .expect("the deployment's row");
    assert!(lines[at + 1].contains("replica") && lines[at + 1].contains("+ http://gpu-3:8000/v1"));
    assert!(lines[at + 2].contains("+ http://gpu-4:8000/v1"), "{listed}");
    let json: serde_json::Value =
        serde_json::from_slice(&duows(&home, &["deployments", "list", "--json"]).stdout)
            .expect("JSON");
    assert_eq!(
        json[0]["replicas"],
        serde_json::json!([
            {"endpoint": "http://gpu-3:8000/v1", "api_key_env": null},
            {"endpoint": "http://gpu-4:8000/v1", "api_key_env": null}
        ])
    );
}
