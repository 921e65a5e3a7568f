//! `gridwork serve`'s push options: the channels a server delivers with.
//! Secrets come from files (never on the command line, where `ps` shows
//! them to everyone on the machine).

use std::path::PathBuf;

use clap::Args;
use gridwork_server::push::PushSettings;

#[derive(Debug, Args)]
pub struct PushArgs {
    /// File holding the VAPID private key (raw P-256 scalar, base64url);
    /// default: <data>/vapid.key, made on first start.
    #[arg(long)]
    vapid_key_file: Option<PathBuf>,
    /// Contact the push services see in the VAPID token.
    #[arg(long, default_value = "mailto:admin@gridwork.invalid")]
    vapid_subject: String,
    /// Also deliver to http:// Web Push endpoints (loopback tests, a
    /// UnifiedPush distributor on a private network).
    #[arg(long)]
    push_allow_http: bool,
    /// APNs: the .p8 provider key file (turns the APNs channel on).
    #[arg(long, requires_all = ["apns_key_id", "apns_team_id", "apns_topic"])]
    apns_p8: Option<PathBuf>,
    #[arg(long)]
    apns_key_id: Option<String>,
    #[arg(long)]
    apns_team_id: Option<String>,
    /// The iOS app's bundle id.
    #[arg(long)]
    apns_topic: Option<String>,
    #[arg(long, default_value = gridwork_push::apns::PRODUCTION_URL)]
    apns_url: String,
    /// JPush (极光): the app key (turns the JPush channel on).
    #[arg(long, requires = "jpush_master_secret_file")]
    jpush_app_key: Option<String>,
    #[arg(long)]
    jpush_master_secret_file: Option<PathBuf>,
    #[arg(long, default_value = gridwork_push::jpush::DEFAULT_URL)]
    jpush_url: String,
    /// The SMS hook for critical escalations (turns it on).
    #[arg(long, requires = "sms_hook_secret_file")]
    sms_hook_url: Option<String>,
    /// File holding the hook's HMAC secret.
    #[arg(long)]
    sms_hook_secret_file: Option<PathBuf>,
    /// Seconds a claimed push stays this instance's: if it dies holding
    /// it, another instance sends it after this. Keep it above the
    /// slowest channel's timeout (10 s here), or a live instance's push
    /// may go twice.
    #[arg(long, default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..=3600))]
    push_lease_secs: u64,
}

fn read_secret(path: &PathBuf) -> Result<String, String> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        format!(
            "读取{}失败 / cannot read {}: {e}",
            path.display(),
            path.display()
        )
    })?;
    let text = text.trim().to_string();
    if text.is_empty() {
        return Err(format!(
            "{}为空 / {} is empty",
            path.display(),
            path.display()
        ));
    }
    Ok(text)
}

impl PushArgs {
    pub fn settings(&self) -> Result<PushSettings, String> {
        let mut s = PushSettings {
            vapid_subject: self.vapid_subject.clone(),
            allow_http_endpoints: self.push_allow_http,
            lease: std::time::Duration::from_secs(self.push_lease_secs),
            ..PushSettings::default()
        };
        if let Some(f) = &self.vapid_key_file {
            s.vapid_private_key = Some(read_secret(f)?);
        }
        if let (Some(p8), Some(key_id), Some(team), Some(topic)) = (
            &self.apns_p8,
            &self.apns_key_id,
            &self.apns_team_id,
            &self.apns_topic,
        ) {
            let config = gridwork_push::ApnsConfig::new(self.apns_url.clone(), team, key_id, topic);
            s.apns = Some((config, read_secret(p8)?));
        }
        if let (Some(app_key), Some(secret)) = (&self.jpush_app_key, &self.jpush_master_secret_file)
        {
            s.jpush = Some(gridwork_push::JPushConfig {
                base_url: self.jpush_url.clone(),
                app_key: app_key.clone(),
                master_secret: read_secret(secret)?,
                apns_production: true,
                vendor_channel_ids: Default::default(),
                timeout: std::time::Duration::from_secs(10),
            });
        }
        if let (Some(url), Some(secret)) = (&self.sms_hook_url, &self.sms_hook_secret_file) {
            s.sms = Some(gridwork_push::SmsHookConfig {
                url: url.clone(),
                secret: read_secret(secret)?.into_bytes(),
                timeout: std::time::Duration::from_secs(10),
            });
        }
        Ok(s)
    }
}
