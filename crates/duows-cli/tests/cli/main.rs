//! `duows` as users and scripts run it: the real binary, a temporary data folder. One test
//! binary for all of them.

mod common;
mod doctor;
mod engines;
mod gateway;
mod gitlab;
mod hardware;
mod nodes;
mod planning;
mod replicas;
mod serve;
