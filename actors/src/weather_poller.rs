//! The `weather_poller` actor: re-checks forecasts of upcoming shooting days.
//!
//! In this build only `provider = "none"` is served: the actor runs (and is
//! supervised like the others) but fetches nothing, and `schedules` reports
//! `weather: null`. Other providers are refused at start with a reason in
//! `status`, rather than pretending to poll.

use crate::ctx::Ctx;
use crate::pipeline::WorkMsg;
use mp2::config::WeatherProvider;
use ractor::{Actor, ActorProcessingErr, ActorRef};

pub struct WeatherPoller;

impl Actor for WeatherPoller {
    type Msg = WorkMsg;
    type State = Ctx;
    type Arguments = Ctx;

    async fn pre_start(&self, _me: ActorRef<WorkMsg>, ctx: Ctx) -> Result<Ctx, ActorProcessingErr> {
        let problem = match ctx.cfg.weather.provider {
            WeatherProvider::None => None,
            p => Some(format!(
                "weather provider {p:?} is not available in this build; forecasts are off"
            )),
        };
        ctx.health.condition("weather", problem);
        Ok(ctx)
    }

    async fn handle(
        &self,
        _me: ActorRef<WorkMsg>,
        msg: WorkMsg,
        _ctx: &mut Ctx,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            WorkMsg::Panic => panic!("fault injection: weather_poller was asked to panic"),
            WorkMsg::Poke | WorkMsg::Done(_) => Ok(()),
        }
    }
}
