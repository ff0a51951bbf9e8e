//! The setguard server: the productions kept live in memory over the ledger, the set board, and
//! the API. Every command goes through the same `judge` as replay and is recorded in the ledger;
//! nobody is answered or shown anything before it is durable.
//!
//! How a request travels: HTTP handler (`api`, `web`) -> [`live::Productions`] (the production's
//! state, locked while a command is judged) -> `setguard_core::judge` -> `Store::submit` ->
//! `State::apply` (the lock released, the next command judged on top) -> the commit durable ->
//! the answer, and a [`live::Change`] to every open set board.

pub mod accounts;
pub mod api;
pub mod app;
pub mod auth;
pub mod clock;
pub mod config;
pub mod demo;
pub mod follow;
pub mod import;
pub mod live;
pub mod notify;
pub mod reports;
pub mod ticker;
pub mod web;

pub use app::{App, router, serve};
pub use config::Config;
