//! `zhima.data.state.data.sync` rules (PRODUCT §5, checks 4–9): configured state machines
//! (service → category → states), JSON Schema validation of `biz_data`, idempotency on
//! (`service_id`, `out_biz_no`) and transitions per instance
//! (`service_id`, `category_code`, `user_id`, `out_principal_id`).
//!
//! Checks 1–3 (user id, out_biz_no, out_principal_id shape) are request validation and happen
//! before this module is called. Checks 4–7 need only configuration: [`StateMachines::precheck`]
//! runs them outside any transaction (JSON Schema validation is the expensive part, so it must
//! not occupy the single writer). Checks 8–9 need stored state: [`decide`] is the pure function
//! every storage backend calls inside its transaction.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use zhima_proto::catalog::ZmdataCode;
use zhima_proto::validate::validate_biz_data;
pub use zhima_proto::validate::ValidStateSync;

use crate::domain::fingerprint::digest;
use crate::error::Rejection;

/// One state sync service as configured (`[[state_sync.services]]`); also its stored form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceConfig {
    /// `service_id` (≤ 128 chars).
    pub service_id: String,
    /// Apps allowed to sync into this service.
    #[serde(default)]
    pub app_ids: Vec<String>,
    /// The categories and their state machines.
    #[serde(default)]
    pub categories: Vec<CategoryConfig>,
}

/// One category of a service, holding one state machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategoryConfig {
    /// `category_code`.
    pub code: String,
    /// What the consumer page calls the category (e.g. `观影约定`); the code when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The states of the machine.
    #[serde(default)]
    pub states: Vec<StateConfig>,
}

/// One state: whether it may start an instance, what may follow it, its `biz_data` schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateConfig {
    /// `biz_state_code`.
    pub code: String,
    /// What the consumer page calls the state (e.g. `已购票`); the code when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// May start a new instance.
    #[serde(default)]
    pub initial: bool,
    /// Allows no further transition.
    #[serde(default)]
    pub terminal: bool,
    /// States allowed after this one (may include itself).
    #[serde(default)]
    pub next: Vec<String>,
    /// JSON Schema (as JSON text) for `biz_data` in this state; absent = any JSON object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub biz_data_schema: Option<String>,
}

/// The command: a request that passed checks 1–3 (zhima-proto `validate_state_sync_shape`).
pub type StateSyncCmd = ValidStateSync;

struct CompiledState {
    initial: bool,
    next: Vec<String>,
    schema: Option<jsonschema::Validator>,
}

struct CompiledCategory {
    states: HashMap<String, CompiledState>,
    initial_states: Vec<String>,
}

struct CompiledService {
    app_ids: HashSet<String>,
    categories: HashMap<String, CompiledCategory>,
}

/// All configured state machines, validated and with schemas compiled once.
#[derive(Default)]
pub struct StateMachines {
    services: HashMap<String, CompiledService>,
}

impl std::fmt::Debug for StateMachines {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateMachines")
            .field("services", &self.services.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// A command that passed checks 4–7, ready for [`decide`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedStateSync {
    /// The command.
    pub cmd: StateSyncCmd,
    /// Business fingerprint (all fields, `biz_data` compared as parsed JSON).
    pub fingerprint: String,
    /// Whether the target state may start an instance.
    pub target_is_initial: bool,
    /// Initial states of the category (for the error message of check 9).
    pub initial_states: Vec<String>,
}

/// Stored state the decision depends on (loaded inside the transaction).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StateSnapshot {
    /// The accepted event with the same (`service_id`, `out_biz_no`), if any.
    pub existing: Option<StoredStateEvent>,
    /// The instance with this command's key, if it exists.
    pub instance: Option<InstanceState>,
    /// `next` of the instance's current state (from configuration).
    pub current_next: Vec<String>,
}

/// The parts of a stored state event the idempotency check needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredStateEvent {
    /// Event sequence number.
    pub seq: i64,
    /// Its business fingerprint.
    pub fingerprint: String,
    /// The instance it belongs to.
    pub instance_id: i64,
    /// State before.
    pub from_state: Option<String>,
    /// State after.
    pub to_state: String,
}

/// An instance's current position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceState {
    /// Storage id of the instance.
    pub id: i64,
    /// Current `biz_state_code`.
    pub current_state: String,
}

/// The outcome of checks 8–9.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateDecision {
    /// Same content as an accepted event: answer its success again, write nothing.
    Replay(StateSyncReceipt),
    /// A business rule failed; write nothing.
    Reject(Rejection),
    /// Write the event and move (or create) the instance.
    Transition(Transition),
}

/// The effects of an accepted state sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// Existing instance id, or `None` to create the instance.
    pub instance_id: Option<i64>,
    /// State before (`None` for a new instance).
    pub from_state: Option<String>,
    /// State after.
    pub to_state: String,
}

/// A successful state sync (`biz_result = "success"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateSyncReceipt {
    /// Whether this answer replays an earlier success.
    pub replayed: bool,
    /// The accepted event's sequence number.
    pub event_seq: i64,
    /// The instance.
    pub instance_id: i64,
    /// State before.
    pub from_state: Option<String>,
    /// State after.
    pub to_state: String,
}

fn reject(code: ZmdataCode, detail: impl std::fmt::Display) -> Rejection {
    Rejection::new(code, detail)
}

/// Client values echoed in messages are cut to 64 characters.
fn echo(value: &str) -> String {
    value.chars().take(64).collect()
}

impl StateMachines {
    /// Validates and compiles every service. Errors name the service, category and state.
    pub fn compile(services: &[ServiceConfig]) -> Result<StateMachines, String> {
        let mut compiled = HashMap::new();
        for svc in services {
            if svc.service_id.is_empty() || svc.service_id.chars().count() > 128 {
                return Err(format!(
                    "service_id {:?} must be 1 to 128 characters",
                    svc.service_id
                ));
            }
            let service =
                compile_service(svc).map_err(|e| format!("service {}: {e}", svc.service_id))?;
            if compiled.insert(svc.service_id.clone(), service).is_some() {
                return Err(format!("service {} is declared twice", svc.service_id));
            }
        }
        Ok(StateMachines { services: compiled })
    }

    /// Checks 4–7 of PRODUCT §5, in order, for a call by `app_id`.
    pub fn precheck(&self, cmd: StateSyncCmd, app_id: &str) -> Result<CheckedStateSync, Rejection> {
        let service = self
            .services
            .get(&cmd.service_id)
            .filter(|s| s.app_ids.contains(app_id))
            .ok_or_else(|| {
                reject(
                    ZmdataCode::ServiceIdError,
                    format_args!(
                        "service_id {}不存在或未对应用{app_id}开放",
                        echo(&cmd.service_id)
                    ),
                )
            })?;
        let category = service.categories.get(&cmd.category_code).ok_or_else(|| {
            reject(
                ZmdataCode::CategoryCodeError,
                format_args!(
                    "category_code {}不是服务{}的类目",
                    echo(&cmd.category_code),
                    cmd.service_id
                ),
            )
        })?;
        let state = category.states.get(&cmd.biz_state_code).ok_or_else(|| {
            reject(
                ZmdataCode::BizStateCodeError,
                format_args!(
                    "biz_state_code {}不是类目{}的状态",
                    echo(&cmd.biz_state_code),
                    cmd.category_code
                ),
            )
        })?;
        let biz_data = Value::Object(validate_biz_data(&cmd)?);
        if let Some(err) = state
            .schema
            .as_ref()
            .and_then(|s| s.iter_errors(&biz_data).next())
        {
            return Err(reject(ZmdataCode::BizDataError, schema_error_message(&err)));
        }
        Ok(CheckedStateSync {
            target_is_initial: state.initial,
            initial_states: category.initial_states.clone(),
            fingerprint: digest(&cmd.business_fingerprint()),
            cmd,
        })
    }

    /// `next` of a configured state (empty when unknown, e.g. removed from configuration).
    pub fn next_of(&self, service_id: &str, category_code: &str, state: &str) -> Vec<String> {
        self.services
            .get(service_id)
            .and_then(|s| s.categories.get(category_code))
            .and_then(|c| c.states.get(state))
            .map(|s| s.next.clone())
            .unwrap_or_default()
    }
}

fn compile_service(svc: &ServiceConfig) -> Result<CompiledService, String> {
    let mut categories = HashMap::new();
    for cat in &svc.categories {
        let compiled = compile_category(cat).map_err(|e| format!("category {}: {e}", cat.code))?;
        if categories.insert(cat.code.clone(), compiled).is_some() {
            return Err(format!("category {} is declared twice", cat.code));
        }
    }
    Ok(CompiledService {
        app_ids: svc.app_ids.iter().cloned().collect(),
        categories,
    })
}

fn compile_category(cat: &CategoryConfig) -> Result<CompiledCategory, String> {
    let codes: HashSet<&str> = cat.states.iter().map(|s| s.code.as_str()).collect();
    if codes.len() != cat.states.len() {
        return Err("a state code is declared twice".into());
    }
    let mut states = HashMap::new();
    for st in &cat.states {
        let compiled = compile_state(st, &codes).map_err(|e| format!("state {}: {e}", st.code))?;
        states.insert(st.code.clone(), compiled);
    }
    let initial_states: Vec<String> = cat
        .states
        .iter()
        .filter(|s| s.initial)
        .map(|s| s.code.clone())
        .collect();
    if initial_states.is_empty() {
        return Err("no state is `initial = true`, so no instance could ever start".into());
    }
    Ok(CompiledCategory {
        states,
        initial_states,
    })
}

fn compile_state(st: &StateConfig, codes: &HashSet<&str>) -> Result<CompiledState, String> {
    if st.terminal && !st.next.is_empty() {
        return Err("a terminal state cannot list `next` states".into());
    }
    if let Some(unknown) = st.next.iter().find(|n| !codes.contains(n.as_str())) {
        return Err(format!("`next` names unknown state {unknown}"));
    }
    let schema = st
        .biz_data_schema
        .as_deref()
        .map(|text| {
            let value: Value = serde_json::from_str(text)
                .map_err(|e| format!("biz_data_schema is not JSON: {e}"))?;
            jsonschema::validator_for(&value)
                .map_err(|e| format!("biz_data_schema is not a valid JSON Schema: {e}"))
        })
        .transpose()?;
    Ok(CompiledState {
        initial: st.initial,
        next: st.next.clone(),
        schema,
    })
}

/// Names the failing field: `biz_data.buyCnt: 0 is less than the minimum of 1`; for a missing
/// field the path is the parent object and the message names the property.
fn schema_error_message(err: &jsonschema::ValidationError<'_>) -> String {
    let pointer = err.instance_path().to_string();
    let path: String = pointer
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| format!(".{}", s.replace("~1", "/").replace("~0", "~")))
        .collect();
    format!("biz_data{path}: {err}")
}

/// Checks 8–9 of PRODUCT §5 against the stored snapshot. Pure: every backend calls this inside
/// its transaction and writes exactly the returned [`Transition`] (or nothing).
pub fn decide(checked: &CheckedStateSync, snap: &StateSnapshot) -> StateDecision {
    let cmd = &checked.cmd;
    if let Some(prev) = &snap.existing {
        return if prev.fingerprint == checked.fingerprint {
            StateDecision::Replay(StateSyncReceipt {
                replayed: true,
                event_seq: prev.seq,
                instance_id: prev.instance_id,
                from_state: prev.from_state.clone(),
                to_state: prev.to_state.clone(),
            })
        } else {
            StateDecision::Reject(reject(
                ZmdataCode::OutBizNoRepeat,
                format_args!(
                    "服务{}的out_biz_no {}已被内容不同的请求使用",
                    cmd.service_id, cmd.out_biz_no
                ),
            ))
        };
    }
    match &snap.instance {
        None if checked.target_is_initial => StateDecision::Transition(Transition {
            instance_id: None,
            from_state: None,
            to_state: cmd.biz_state_code.clone(),
        }),
        None => StateDecision::Reject(reject(
            ZmdataCode::BizStateCodeError,
            format_args!(
                "out_principal_id {}尚无状态实例，新实例只能从[{}]开始，不能是{}",
                cmd.out_principal_id,
                checked.initial_states.join(", "),
                cmd.biz_state_code
            ),
        )),
        Some(inst) if snap.current_next.contains(&cmd.biz_state_code) => {
            StateDecision::Transition(Transition {
                instance_id: Some(inst.id),
                from_state: Some(inst.current_state.clone()),
                to_state: cmd.biz_state_code.clone(),
            })
        }
        Some(inst) => StateDecision::Reject(reject(
            ZmdataCode::BizStateCodeError,
            format_args!(
                "实例当前状态为{}，允许的下一状态为[{}]，不能是{}",
                inst.current_state,
                snap.current_next.join(", "),
                cmd.biz_state_code
            ),
        )),
    }
}

/// The compiled machines, swappable at run time when the admin API edits a service, and
/// read again from storage now and then (another process may have edited one): the cache
/// knows how old it is and which edit it reflects.
#[derive(Debug)]
pub struct MachineCache {
    current: RwLock<CachedMachines>,
    /// A refresh is under way: others keep using what is cached instead of reading too.
    refreshing: AtomicBool,
}

#[derive(Debug)]
struct CachedMachines {
    machines: Arc<StateMachines>,
    loaded_at: Instant,
    /// Bumped by every [`MachineCache::set`], so a refresh that read the services before an
    /// edit cannot replace the edit's machines with older ones.
    generation: u64,
}

impl Default for MachineCache {
    fn default() -> Self {
        MachineCache {
            current: RwLock::new(CachedMachines {
                machines: Arc::default(),
                loaded_at: Instant::now(),
                generation: 0,
            }),
            refreshing: AtomicBool::new(false),
        }
    }
}

impl MachineCache {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, CachedMachines> {
        self.current.read().unwrap_or_else(|p| p.into_inner())
    }

    /// The machines in force now (cheap clone of an `Arc`).
    pub fn get(&self) -> Arc<StateMachines> {
        self.read().machines.clone()
    }

    /// The machines if loaded less than `ttl` ago; else the generation a refresh starting now
    /// must pass to [`MachineCache::refreshed`].
    pub fn fresh(&self, ttl: Duration) -> Result<Arc<StateMachines>, u64> {
        let cached = self.read();
        if cached.loaded_at.elapsed() < ttl {
            Ok(cached.machines.clone())
        } else {
            Err(cached.generation)
        }
    }

    /// Whether the caller may refresh (nobody else is): it must call
    /// [`MachineCache::end_refresh`] when done, also on failure.
    pub fn begin_refresh(&self) -> bool {
        !self.refreshing.swap(true, Ordering::AcqRel)
    }

    /// Lets the next refresh start.
    pub fn end_refresh(&self) {
        self.refreshing.store(false, Ordering::Release);
    }

    /// Keeps `machines`, compiled from services read in `generation`, unless an edit replaced
    /// the machines since; returns the machines in force.
    pub fn refreshed(&self, generation: u64, machines: StateMachines) -> Arc<StateMachines> {
        let mut cached = self.current.write().unwrap_or_else(|p| p.into_inner());
        if cached.generation == generation {
            cached.machines = Arc::new(machines);
            cached.loaded_at = Instant::now();
        }
        cached.machines.clone()
    }

    /// Replaces the machines (after the stored services changed).
    pub fn set(&self, machines: StateMachines) {
        let mut cached = self.current.write().unwrap_or_else(|p| p.into_inner());
        cached.machines = Arc::new(machines);
        cached.loaded_at = Instant::now();
        cached.generation += 1;
    }
}
