//! The HTTP transport's live and history reads: the sample and event streams (server-sent
//! events that end when the program begins to stop), the sample history and the dashboard
//! with their query strings.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::Json;
use futures_util::{Stream, StreamExt};
use tokio_stream::wrappers::WatchStream;

use crate::calls;
use crate::{ApiError, ApiState, ErrorCode};
use duows_core::sampler::Sample;

pub(super) async fn sample_stream(
    State(state): State<ApiState>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    // Streams end when the program begins to stop, so shutdown can drain.
    let samples = WatchStream::new(state.sampler().subscribe()).take_until(state.stopped());
    let stream = samples.map(|sample| {
        Ok(Event::default()
            .event("sample")
            .json_data(sample.as_ref())
            .unwrap_or_else(|_| Event::default().comment("unserialisable sample")))
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

pub(super) async fn event_stream(
    State(state): State<ApiState>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let events = tokio_stream::wrappers::ReceiverStream::new(crate::events::subscribe(&state));
    let stream = events.map(|event| {
        Ok(match event.data_json() {
            Ok(data) => Event::default().event(event.kind()).data(data),
            Err(_) => Event::default().comment("unserialisable event"),
        })
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

/// `?minutes=N&points=M` for `sample_history`.
#[derive(serde::Deserialize)]
pub(super) struct HistoryQuery {
    minutes: Option<u32>,
    points: Option<usize>,
}

pub(super) async fn sample_history(
    State(state): State<ApiState>,
    query: Result<Query<HistoryQuery>, QueryRejection>,
) -> Result<Json<Vec<Sample>>, ApiError> {
    let Query(query) = query.map_err(|_| {
        ApiError::new(
            ErrorCode::InvalidParameter,
            "minutes and points must be whole numbers",
        )
    })?;
    calls::sample_history(&state, query.minutes, query.points).map(Json)
}

/// `?minutes=N` for `dashboard`.
#[derive(serde::Deserialize)]
pub(super) struct DashboardQuery {
    minutes: Option<u32>,
}

pub(super) async fn dashboard(
    State(state): State<ApiState>,
    query: Result<Query<DashboardQuery>, QueryRejection>,
) -> Result<Json<calls::DashboardView>, ApiError> {
    let Query(query) = query.map_err(|_| {
        ApiError::new(
            ErrorCode::InvalidParameter,
            "minutes must be a whole number",
        )
        .with_field("minutes")
    })?;
    calls::dashboard(&state, query.minutes).await.map(Json)
}
