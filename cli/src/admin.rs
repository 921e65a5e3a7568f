//! `gridwork admin`: administration of a server's data directory from the
//! server machine (the same operations as the HTTP admin API, through the
//! same storage boundary).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::NaiveDate;
use clap::Subcommand;
use gridwork_core::case::DeadlinePolicy;
use gridwork_core::checklist::ChecklistTemplate;
use gridwork_core::clock::SystemClock;
use gridwork_core::store::ImportMode;
use gridwork_core::user::{Assignment, AssignmentKind, Role, User};
use gridwork_core::visit::VisitPolicy;
use gridwork_server::storage::sqlite::SqliteStorage;
use gridwork_server::storage::ServerStorage;

use crate::import::print_import;
use crate::ImportKind;

#[derive(Subcommand)]
pub enum AdminAction {
    /// Issue a one-time activation code for a user's phone.
    Code {
        #[arg(long)]
        user: String,
        /// The server address phones use (goes into the QR string).
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        server_url: String,
    },
    /// Import regions/grids (GeoJSON) or households/members (CSV/XLSX).
    Import {
        #[arg(value_enum)]
        kind: ImportKind,
        file: PathBuf,
        #[arg(long)]
        all_or_nothing: bool,
    },
    /// Create or update a user.
    User {
        #[arg(long)]
        id: String,
        #[arg(long)]
        name: String,
        /// grid_worker, village_secretary, township_supervisor, city_supervisor, administrator
        #[arg(long)]
        role: String,
        /// Region codes, comma separated (not for grid workers).
        #[arg(long, default_value = "")]
        jurisdiction: String,
        #[arg(long)]
        phone: Option<String>,
    },
    /// Assign a grid worker to a grid.
    Assign {
        #[arg(long)]
        user: String,
        #[arg(long)]
        grid: String,
        #[arg(long, default_value = "primary")]
        kind: String,
        /// First day, YYYY-MM-DD.
        #[arg(long)]
        from: NaiveDate,
        /// Last day, YYYY-MM-DD (open-ended when absent).
        #[arg(long)]
        to: Option<NaiveDate>,
    },
    /// Store a checklist template version (JSON file).
    Template { file: PathBuf },
    /// Set the deadline policy (JSON file).
    DeadlinePolicy { file: PathBuf },
    /// Set the visit policy (JSON file).
    VisitPolicy { file: PathBuf },
    /// List enrolled devices.
    Devices,
    /// Revoke a device: it is refused and wipes its data at its next contact.
    Revoke {
        #[arg(long)]
        device: String,
    },
}

pub fn run(
    data: &Path,
    database: &gridwork_server::storage::database::Database,
    create: bool,
    admin: &str,
    action: AdminAction,
) -> Result<(), Box<dyn std::error::Error>> {
    if !create && !data.is_dir() {
        return Err(format!(
            "数据目录 {} 不存在 / no data directory {}: check the path (the server's --data), or pass --create to start a new one",
            data.display(),
            data.display()
        )
        .into());
    }
    let storage = SqliteStorage::open_on(
        database,
        data,
        Arc::new(SystemClock),
        gridwork_server::storage::uploads::UploadConfig::default(),
    )?;
    if let Some(code) = storage.bootstrap_admin("http://127.0.0.1:8080")? {
        println!(
            "新建管理员 admin；激活码 / created user admin; activation code: {}",
            code.code
        );
    }
    match action {
        AdminAction::Code { user, server_url } => {
            let code = storage.create_activation_code(&user, &server_url)?;
            println!(
                "激活码 / activation code for {}: {}",
                code.user_id, code.code
            );
            println!("QR: {}", code.qr);
            println!(
                "有效至 / valid until {}",
                code.expires_at.format("%Y-%m-%d %H:%M UTC")
            );
        }
        AdminAction::Import {
            kind,
            file,
            all_or_nothing,
        } => {
            let mode = if all_or_nothing {
                ImportMode::AllOrNothing
            } else {
                ImportMode::BestEffort
            };
            let bytes = std::fs::read(&file)?;
            let format = crate::import::format_of(&file, &bytes);
            let report = match kind {
                ImportKind::Regions => {
                    storage.import_regions(admin, &String::from_utf8(bytes)?, mode)?
                }
                ImportKind::Households => storage.import_households(admin, &bytes, format, mode)?,
                ImportKind::Members => storage.import_members(admin, &bytes, format, mode)?,
            };
            print_import("", &report);
        }
        AdminAction::User {
            id,
            name,
            role,
            jurisdiction,
            phone,
        } => {
            let role =
                Role::parse(&role).ok_or_else(|| format!("未知角色 / unknown role {role}"))?;
            let jurisdiction = jurisdiction
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
            storage.upsert_user(
                admin,
                &User {
                    id,
                    name,
                    role,
                    phone,
                    jurisdiction,
                },
            )?;
            println!("已保存 / saved");
        }
        AdminAction::Assign {
            user,
            grid,
            kind,
            from,
            to,
        } => {
            let kind = AssignmentKind::parse(&kind)
                .ok_or_else(|| format!("kind must be primary or backup, not {kind}"))?;
            storage.set_assignment(
                admin,
                &Assignment {
                    user_id: user,
                    grid_code: grid,
                    kind,
                    from,
                    to,
                },
            )?;
            println!("已保存 / saved");
        }
        AdminAction::Template { file } => {
            let t = ChecklistTemplate::from_json(&std::fs::read_to_string(file)?)?;
            let stored = storage.store_template(admin, &t)?;
            println!(
                "{}",
                if stored {
                    "已保存 / stored"
                } else {
                    "此版本已存在 / that version was already stored"
                }
            );
        }
        AdminAction::DeadlinePolicy { file } => {
            let p: DeadlinePolicy = serde_json::from_str(&std::fs::read_to_string(file)?)?;
            p.validate()?;
            storage.set_deadline_policy(admin, &p)?;
            println!("已保存 / saved");
        }
        AdminAction::VisitPolicy { file } => {
            let p: VisitPolicy = serde_json::from_str(&std::fs::read_to_string(file)?)?;
            p.validate()?;
            storage.set_visit_policy(admin, &p)?;
            println!("已保存 / saved");
        }
        AdminAction::Devices => {
            for d in storage.devices()? {
                println!(
                    "{}  {}  {}  activated {}  last seen {}  {}",
                    d.device_id,
                    d.user_id,
                    d.name,
                    d.activated_at.format("%Y-%m-%d %H:%M"),
                    d.last_seen_at
                        .map_or("-".into(), |t| t.format("%Y-%m-%d %H:%M").to_string()),
                    if d.revoked_at.is_some() {
                        "REVOKED"
                    } else {
                        ""
                    }
                );
            }
        }
        AdminAction::Revoke { device } => {
            storage.revoke(&device)?;
            println!("已停用 / revoked {device}");
        }
    }
    Ok(())
}
