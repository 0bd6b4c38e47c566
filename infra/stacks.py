"""The stacks of one stage: stateful (data, identity, the site) and stateless (the app).

A redeploy of the app (functions, APIs, roles, alarms, the uploaded frontend) only ever
touches the stateless stack; the tables, the user pool, the widget key and the
distribution whose domain tenants embed live in the stateful stack, which changes rarely
and, in protected stages, keeps its data even when deleted.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack, Tags
from constructs import Construct

from infra.api import Api
from infra.data import Data
from infra.identity import Identity
from infra.monitoring import Monitoring
from infra.names import APP
from infra.settings import StageSettings
from infra.web import Site, SiteContent


class StatefulStack(Stack):
    def __init__(self, scope: Construct, stage: StageSettings, **kwargs: Any) -> None:
        super().__init__(
            scope,
            stage.stateful_stack,
            stack_name=stage.stateful_stack,
            description=f"Flow Hub {stage.name}: tables, agent identity, widget key, site bucket and distribution",
            termination_protection=stage.protect_data,
            **kwargs,
        )
        self.data = Data(self, "Data", stage=stage)
        self.site = Site(self, "Site", stage=stage)
        self.identity = Identity(self, "Identity", stage=stage, dashboard_url=self.site.dashboard_url)


class StatelessStack(Stack):
    def __init__(self, scope: Construct, stage: StageSettings, stateful: StatefulStack, **kwargs: Any) -> None:
        super().__init__(
            scope,
            stage.stateless_stack,
            stack_name=stage.stateless_stack,
            description=f"Flow Hub {stage.name}: functions, WebSocket and REST APIs, frontend upload, monitoring",
            **kwargs,
        )
        self.add_stack_dependency(stateful)
        self.api = Api(self, "Api", stage=stage, data=stateful.data, identity=stateful.identity)
        self.content = SiteContent(
            self,
            "SiteContent",
            stage=stage,
            site=stateful.site,
            api_url=self.api.rest_url,
            ws_url=self.api.ws_url,
            user_pool_id=stateful.identity.user_pool.user_pool_id,
            client_id=stateful.identity.client.user_pool_client_id,
        )
        self.monitoring = Monitoring(self, "Monitoring", stage=stage, data=stateful.data, api=self.api)


def tag_stage(stack: Stack, stage: StageSettings) -> None:
    Tags.of(stack).add("app", APP)
    Tags.of(stack).add("stage", stage.name)
