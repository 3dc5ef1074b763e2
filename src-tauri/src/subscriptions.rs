//! The window's live streams: each subscription forwards to a Tauri channel on the async
//! runtime until the page subscribes again (a reload), the channel is gone, or the app
//! stops. One forwarder per webview and stream, so a reloaded page never doubles them.

use std::collections::HashMap;
use std::sync::Mutex;

use duows_api::events::ServerEvent;
use duows_api::ApiState;
use duows_core::sampler::Sample;
use tauri::async_runtime::JoinHandle;
use tauri::ipc::Channel;
use tauri::{Runtime, State, Webview};

/// The forwarders, by webview label and stream.
#[derive(Default)]
pub struct Subscriptions(Mutex<HashMap<(String, &'static str), JoinHandle<()>>>);

impl Subscriptions {
    fn replace(&self, webview: String, stream: &'static str, task: JoinHandle<()>) {
        let mut current = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(previous) = current.insert((webview, stream), task) {
            previous.abort();
        }
    }
}

/// Sends every new sample to `on_sample`, replacing this webview's earlier subscription.
#[tauri::command]
pub fn subscribe_samples<R: Runtime>(
    webview: Webview<R>,
    state: State<'_, ApiState>,
    subscriptions: State<'_, Subscriptions>,
    on_sample: Channel<Sample>,
) {
    let mut samples = state.sampler().subscribe();
    let stopped = state.stopped();
    let forward = async move {
        loop {
            let sample = samples.borrow_and_update().as_ref().clone();
            if on_sample.send(sample).is_err() || samples.changed().await.is_err() {
                break;
            }
        }
    };
    let task = tauri::async_runtime::spawn(async move {
        tokio::select! {
            () = forward => {},
            () = stopped => {},
        }
    });
    subscriptions.replace(webview.label().to_owned(), "samples", task);
}

/// Sends the live event stream (samples, engines, jobs, gateway) to `on_event`, each as
/// `{ kind, data }`, replacing this webview's earlier subscription.
#[tauri::command]
pub fn subscribe_events<R: Runtime>(
    webview: Webview<R>,
    state: State<'_, ApiState>,
    subscriptions: State<'_, Subscriptions>,
    on_event: Channel<ServerEvent>,
) {
    let state = state.inner().clone();
    let task = tauri::async_runtime::spawn(async move {
        let mut events = duows_api::events::subscribe(&state);
        while let Some(event) = events.recv().await {
            if on_event.send(event).is_err() {
                break;
            }
        }
    });
    subscriptions.replace(webview.label().to_owned(), "events", task);
}
