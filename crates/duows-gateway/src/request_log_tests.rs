//! The request log: records rendered as lines, usage read from answers, rotation, and
//! records written in batches while they come fast.

use super::*;

fn record() -> LogRecord {
    LogRecord {
        time: SystemTime::UNIX_EPOCH,
        request_id: "req-1".into(),
        upstream_request_id: None,
        key_id: Some(Arc::from("abcd1234")),
        model: Some("duo-chat".into()),
        alias: Some(Arc::from("duo-chat")),
        deployment: Some(Arc::from("qwen")),
        status: 200,
        stream: false,
        latency: Duration::from_micros(12_345),
        ttfb: Some(Duration::from_millis(2)),
        error: None,
        usage: UsageSource::Json(vec![
            Bytes::from_static(br#"{"id":"x","usage":{"prompt_tokens":7,"#),
            Bytes::from_static(br#""completion_tokens":3,"total_tokens":10}}"#),
        ]),
        request_body: None,
        response_body: None,
        upstream_error: None,
        adjusted: None,
        replica: None,
        attempts: 1,
    }
}

#[test]
fn usage_from_json_and_events() {
    assert_eq!(
        read_usage(&record().usage),
        Some(Usage {
            prompt_tokens: Some(7),
            completion_tokens: Some(3)
        })
    );
    let events = UsageSource::Events(vec![Bytes::from_static(
        b"data: {\"choices\":[],\"usage\":null}\n\n\
          data: {\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":9}}\n\n\
          data: [DONE]\n\n",
    )]);
    assert_eq!(
        read_usage(&events),
        Some(Usage {
            prompt_tokens: Some(5),
            completion_tokens: Some(9)
        })
    );
    assert_eq!(
        read_usage(&UsageSource::Json(vec![Bytes::from_static(b"oops")])),
        None
    );
}

#[test]
fn lines_are_json_with_times_and_counts() {
    let mut out = Vec::new();
    render(&record(), &mut out);
    assert_eq!(out.last(), Some(&b'\n'));
    let v: serde_json::Value = serde_json::from_slice(&out).expect("JSON line");
    assert_eq!(v["time"], "1970-01-01T00:00:00.000Z");
    assert_eq!(v["latency_ms"], 12.345);
    assert_eq!(v["ttfb_ms"], 2.0);
    assert_eq!(v["prompt_tokens"], 7);
    assert_eq!(v["completion_tokens"], 3);
    assert_eq!(v["key_id"], "abcd1234");
    assert!(v.get("error").is_none());
    assert!(v.get("request_body").is_none());
    assert!(v.get("replica").is_none() && v.get("attempts").is_none());
    let retried = LogRecord {
        replica: Some(Arc::from("http://10.0.0.2:8000/v1")),
        attempts: 2,
        ..record()
    };
    out.clear();
    render(&retried, &mut out);
    let v: serde_json::Value = serde_json::from_slice(&out).expect("JSON line");
    assert_eq!(v["replica"], "http://10.0.0.2:8000/v1");
    assert_eq!(v["attempts"], 2);
}

#[test]
fn rotates_and_keeps_three() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = RequestLog::start_with(dir.path().to_owned(), 300).expect("start");
    for _ in 0..40 {
        assert!(log.send(record()));
        std::thread::sleep(Duration::from_millis(2));
    }
    drop(log);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while !dir.path().join(format!("{LOG_FILE}.3")).exists() {
        assert!(std::time::Instant::now() < deadline, "rotated files appear");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(100));
    let mut names: Vec<String> = fs::read_dir(dir.path())
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "requests.jsonl",
            "requests.jsonl.1",
            "requests.jsonl.2",
            "requests.jsonl.3"
        ]
    );
    let newest = fs::read_to_string(dir.path().join("requests.jsonl.1")).expect("read");
    assert!(newest
        .lines()
        .all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok()));
}

#[test]
fn a_burst_is_written_whole_and_in_order() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = RequestLog::start(dir.path().to_owned()).expect("start");
    // The second record comes at once: the writer gathers the rest in batches.
    for n in 0..500 {
        let mut r = record();
        r.request_id = format!("req-{n}");
        assert!(log.send(r));
    }
    drop(log);
    let path = dir.path().join(LOG_FILE);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let text = fs::read_to_string(&path).unwrap_or_default();
        let ids: Vec<String> = text
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).expect("JSON line");
                v["request_id"].as_str().expect("id").to_owned()
            })
            .collect();
        if ids.len() == 500 {
            let expected: Vec<String> = (0..500).map(|n| format!("req-{n}")).collect();
            assert_eq!(ids, expected);
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{} of 500 lines",
            ids.len()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
