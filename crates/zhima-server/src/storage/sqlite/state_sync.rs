//! SQL of state sync (`state.data.sync`): snapshot loading, writing a transition, instance
//! history.

use rusqlite::{params, Connection, OptionalExtension};

use super::records::{collect, ms, time};
use crate::domain::entities::Caller;
use crate::domain::state_sync::{
    CheckedStateSync, InstanceState, StateSnapshot, StateSyncCmd, StoredStateEvent, Transition,
};
use crate::error::Result;
use crate::storage::engine::WrittenTransition;
use crate::storage::reads::{InstanceHistory, InstanceKey, StateEventView};

/// Loads the event with the same (`service_id`, `out_biz_no`) and the instance's position
/// (`current_next` is configuration, filled in by the caller).
pub(crate) fn load_snapshot(conn: &Connection, cmd: &StateSyncCmd) -> Result<StateSnapshot> {
    let existing = conn
        .prepare_cached(
            "SELECT seq, fingerprint, instance_id, from_state, to_state FROM state_events
             WHERE service_id = ?1 AND out_biz_no = ?2",
        )?
        .query_row([&cmd.service_id, &cmd.out_biz_no], |r| {
            Ok(StoredStateEvent {
                seq: r.get(0)?,
                fingerprint: r.get(1)?,
                instance_id: r.get(2)?,
                from_state: r.get(3)?,
                to_state: r.get(4)?,
            })
        })
        .optional()?;
    if existing.is_some() {
        return Ok(StateSnapshot {
            existing,
            ..Default::default()
        });
    }
    let instance = conn
        .prepare_cached(
            "SELECT id, current_state FROM state_instances
             WHERE service_id = ?1 AND category_code = ?2 AND user_id = ?3 AND out_principal_id = ?4",
        )?
        .query_row([&cmd.service_id, &cmd.category_code, &cmd.user_id, &cmd.out_principal_id], |r| {
            Ok(InstanceState { id: r.get(0)?, current_state: r.get(1)? })
        })
        .optional()?;
    Ok(StateSnapshot {
        existing: None,
        instance,
        current_next: Vec::new(),
    })
}

/// Creates or moves the instance and appends the event.
pub(crate) fn write(
    conn: &Connection,
    c: &CheckedStateSync,
    t: &Transition,
    caller: &Caller,
) -> Result<WrittenTransition> {
    let cmd = &c.cmd;
    let now = ms(&caller.now);
    let instance_id = match t.instance_id {
        Some(id) => {
            conn.prepare_cached(
                "UPDATE state_instances SET current_state = ?1, updated_at_ms = ?2 WHERE id = ?3",
            )?
            .execute(params![t.to_state, now, id])?;
            id
        }
        None => {
            conn.prepare_cached(
                "INSERT INTO state_instances (service_id, category_code, user_id, out_principal_id, current_state,
                   created_at_ms, updated_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
            )?
            .execute(params![cmd.service_id, cmd.category_code, cmd.user_id, cmd.out_principal_id, t.to_state, now])?;
            conn.last_insert_rowid()
        }
    };
    conn.prepare_cached(
        "INSERT INTO state_events (service_id, out_biz_no, instance_id, from_state, to_state, biz_data, fingerprint,
           app_id, received_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        cmd.service_id,
        cmd.out_biz_no,
        instance_id,
        t.from_state,
        t.to_state,
        cmd.biz_data,
        c.fingerprint,
        caller.app_id,
        now
    ])?;
    Ok(WrittenTransition {
        instance_id,
        event_seq: conn.last_insert_rowid(),
    })
}

/// An instance with its events, oldest first.
pub(crate) fn instance(conn: &Connection, key: &InstanceKey) -> Result<Option<InstanceHistory>> {
    let found = conn
        .prepare_cached(
            "SELECT id, current_state FROM state_instances
             WHERE service_id = ?1 AND category_code = ?2 AND user_id = ?3 AND out_principal_id = ?4",
        )?
        .query_row([&key.service_id, &key.category_code, &key.user_id, &key.out_principal_id], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
        })
        .optional()?;
    let Some((id, current_state)) = found else {
        return Ok(None);
    };
    let events = collect(
        conn.prepare_cached(
            "SELECT seq, out_biz_no, from_state, to_state, biz_data, app_id, received_at_ms FROM state_events
             WHERE instance_id = ?1 ORDER BY seq",
        )?
        .query_map([id], |r| {
            Ok(StateEventView {
                seq: r.get(0)?,
                out_biz_no: r.get(1)?,
                from_state: r.get(2)?,
                to_state: r.get(3)?,
                biz_data: r.get(4)?,
                app_id: r.get(5)?,
                received_at: time(r.get(6)?)?,
            })
        })?,
    )?;
    Ok(Some(InstanceHistory {
        key: key.clone(),
        current_state,
        events,
    }))
}
