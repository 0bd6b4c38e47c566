"""Monitoring: what on-call sees (a CloudWatch dashboard) and what pages them (alarms → SNS).

The dashboard reads top-down like the product: the live lane (connections, messages,
delivery), the functions, DynamoDB, then the work lanes and the schedules. Application
figures come from the Powertools metrics the runtime emits (namespace `FlowHub/<stage>`,
dimension `service`); the rest from API Gateway, Lambda, DynamoDB and SQS.

Every alarm notifies one SNS topic; `make deploy ALARM_EMAIL=…` subscribes an address
(the stack parameter `AlarmEmail`).
"""

from __future__ import annotations

from aws_cdk import CfnCondition, CfnOutput, CfnParameter, Duration, Fn
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_sns as sns
from constructs import Construct

from infra.api import Api
from infra.data import Data
from infra.nag import suppress
from infra.settings import StageSettings

APP_DIMENSIONS = {"service": "flow-hub"}
PERIOD = Duration.minutes(5)

# Alarm thresholds (per 5 minutes), named so operators know what pages them.
REJECTED_ACTIONS = 200
GONE_CONNECTIONS = 500
FAILED_DELIVERIES = 20
COUNTER_DRIFT = 1  # the recompute repaired counters: some write path forgot to update them
LIVE_FUNCTION_ERRORS = 5
SCHEDULE_FUNCTION_ERRORS = 1
REST_5XX = 10
WS_INTEGRATION_ERRORS = 10
TABLE_THROTTLES = 1
# A stream function's oldest record waits this long (ms): the dashboards' counters are this late.
STREAM_ITERATOR_AGE_MS = 10_000
# p99 duration as a share of the function's timeout.
DURATION_SHARE_OF_TIMEOUT = 0.8


class Monitoring(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, stage: StageSettings, data: Data, api: Api) -> None:
        super().__init__(scope, construct_id)
        email = CfnParameter(
            self,
            "AlarmEmail",
            type="String",
            default="",
            description="Address that receives alarm notifications (empty: none)",
            allowed_pattern=r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$",
        )
        email.override_logical_id("AlarmEmail")
        self.topic = sns.Topic(self, "Alarms", display_name=f"Flow Hub {stage.name} alarms", enforce_ssl=True)
        suppress(
            self.topic,
            "AwsSolutions-SNS2",
            "Alarm notifications carry alarm names and states only, no customer data; CloudWatch cannot publish "
            "to a topic encrypted with the AWS managed SNS key, and a customer managed key costs per month.",
        )
        has_email = CfnCondition(
            self, "HasAlarmEmail", expression=Fn.condition_not(Fn.condition_equals(email.value_as_string, ""))
        )
        subscription = sns.CfnSubscription(
            self,
            "AlarmEmailSubscription",
            topic_arn=self.topic.topic_arn,
            protocol="email",
            endpoint=email.value_as_string,
        )
        subscription.cfn_options.condition = has_email
        self.alarms: list[cw.Alarm] = []

        fn_names = {fid: fn.ref for fid, fn in api.functions.items()}

        def _app_metric(name: str, stat: str = "Sum") -> cw.Metric:
            return cw.Metric(
                namespace=stage.metrics_namespace,
                metric_name=name,
                dimensions_map=APP_DIMENSIONS,
                statistic=stat,
                period=PERIOD,
            )

        ws = {"ApiId": api.websocket_api.ref, "Stage": api.ws_stage_name}
        rest = {"ApiName": stage.physical("rest"), "Stage": str(api.rest_stage_name)}

        def lam(fid: str, name: str, stat: str = "Sum") -> cw.Metric:
            return cw.Metric(
                namespace="AWS/Lambda",
                metric_name=name,
                dimensions_map={"FunctionName": fn_names[fid]},
                statistic=stat,
                period=PERIOD,
                label=fid,
            )

        def ws_metric(name: str, stat: str = "Sum") -> cw.Metric:
            return cw.Metric(
                namespace="AWS/ApiGateway", metric_name=name, dimensions_map=ws, statistic=stat, period=PERIOD
            )

        def rest_metric(name: str, stat: str = "Sum") -> cw.Metric:
            return cw.Metric(
                namespace="AWS/ApiGateway", metric_name=name, dimensions_map=rest, statistic=stat, period=PERIOD
            )

        def table_metric(kind: str, name: str) -> cw.Metric:
            return cw.Metric(
                namespace="AWS/DynamoDB",
                metric_name=name,
                dimensions_map={"TableName": data.tables[kind].table_name},
                statistic="Sum",
                period=PERIOD,
                label=kind,
            )

        # ------------------------------------------------------------------ alarms
        def alarm(construct_id: str, metric: cw.IMetric, threshold: float, what: str) -> cw.Alarm:
            a = cw.Alarm(
                self,
                construct_id,
                alarm_description=what,
                metric=metric,
                threshold=threshold,
                evaluation_periods=1,
                comparison_operator=cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
            )
            a.add_alarm_action(cw_actions.SnsAction(self.topic))
            self.alarms.append(a)
            return a

        alarm("RejectedActions", _app_metric("RejectedActions"), REJECTED_ACTIONS, "Clients send many invalid actions")
        alarm(
            "GoneConnections",
            _app_metric("GoneConnections"),
            GONE_CONNECTIONS,
            "Many connections vanished (410) without $disconnect",
        )
        alarm(
            "FailedDeliveries",
            _app_metric("FailedDeliveries"),
            FAILED_DELIVERIES,
            "Pushes fail for another reason than a gone connection",
        )
        alarm(
            "CounterDrift",
            _app_metric("CounterDrift"),
            COUNTER_DRIFT,
            "The recompute repaired hub counters: a write path missed them",
        )
        alarm("RestServerErrors", rest_metric("5XXError"), REST_5XX, "The REST API answers 5xx")
        alarm(
            "WebSocketIntegrationErrors",
            ws_metric("IntegrationError"),
            WS_INTEGRATION_ERRORS,
            "WebSocket routes fail in their Lambda",
        )
        alarm(
            "ScheduleFailures",
            api.schedule_failures.metric_approximate_number_of_messages_visible(period=PERIOD, statistic="Maximum"),
            1,
            "A scheduled function failed after its retries (its event is in the ScheduleFailures queue)",
        )
        for fid in api.functions:
            scheduled = fid in api.scheduled
            alarm(
                f"{fid}Errors",
                lam(fid, "Errors"),
                SCHEDULE_FUNCTION_ERRORS if scheduled else LIVE_FUNCTION_ERRORS,
                f"{fid} raises errors",
            )
            alarm(f"{fid}Throttles", lam(fid, "Throttles"), 1, f"{fid} is throttled by Lambda concurrency")
            alarm(
                f"{fid}Slow",
                lam(fid, "Duration", "p99"),
                api.timeouts[fid] * 1000 * DURATION_SHARE_OF_TIMEOUT,
                f"{fid} p99 duration is near its {api.timeouts[fid]} s timeout",
            )
        for fid in api.streamed:
            alarm(
                f"{fid}IteratorAge",
                lam(fid, "IteratorAge", "Maximum"),
                STREAM_ITERATOR_AGE_MS,
                f"{fid} falls behind its DynamoDB stream: the dashboards' counters are late",
            )
        for kind in data.tables:
            alarm(
                f"{kind.capitalize()}TableThrottles",
                table_metric(kind, "ThrottledRequests"),
                TABLE_THROTTLES,
                f"DynamoDB throttles requests to the {kind} table",
            )

        # ------------------------------------------------------------------ dashboard
        def graph(title: str, metrics: list[cw.IMetric], width: int = 8) -> cw.GraphWidget:
            return cw.GraphWidget(title=title, left=metrics, width=width, height=6)

        fids = list(api.functions)
        self.dashboard = cw.Dashboard(self, "Dashboard", dashboard_name=stage.physical("operations"))
        self.dashboard.add_widgets(
            cw.TextWidget(
                markdown=(
                    f"# Flow Hub {stage.name}\nLive lane first, then functions, DynamoDB, work lanes and schedules. "
                    "Alarms notify the SNS topic in the stack outputs. Logs: "
                    f"`/flow-hub/{stage.name}/<function>` (Powertools JSON lines), "
                    f"API access logs in `/flow-hub/{stage.name}/access/`."
                ),
                width=24,
                height=2,
            ),
            cw.AlarmStatusWidget(alarms=self.alarms, title="Alarms", width=24, height=4),
        )
        self.dashboard.add_widgets(
            graph(
                "Connections opened vs vanished (410)",
                [ws_metric("ConnectCount"), _app_metric("Connections"), _app_metric("GoneConnections")],
            ),
            graph(
                "Open connections (counted every minute by the drift sweep)",
                [
                    _app_metric("OpenAgentConnections", "Maximum"),
                    _app_metric("OpenCustomerConnections", "Maximum"),
                ],
            ),
            graph("Messages per 5 min", [ws_metric("MessageCount"), _app_metric("MessagesStored")]),
            graph(
                "Delivery failures",
                [
                    _app_metric("FailedDeliveries"),
                    _app_metric("GoneConnections"),
                    ws_metric("IntegrationError"),
                    ws_metric("ExecutionError"),
                    ws_metric("ClientError"),
                ],
            ),
        )
        self.dashboard.add_widgets(
            graph("Errors per function", [lam(f, "Errors") for f in fids]),
            graph("p99 duration per function (ms)", [lam(f, "Duration", "p99") for f in fids]),
            graph("Throttles per function", [lam(f, "Throttles") for f in fids]),
        )
        self.dashboard.add_widgets(
            graph("DynamoDB throttled requests", [table_metric(k, "ThrottledRequests") for k in data.tables]),
            graph(
                "DynamoDB conditional-check failures (races lost, expected)",
                [table_metric(k, "ConditionalCheckFailedRequests") for k in data.tables],
            ),
            graph("DynamoDB system errors", [table_metric(k, "SystemErrors") for k in data.tables]),
        )
        self.dashboard.add_widgets(
            graph(
                "Callbacks: requested, overdue",
                [_app_metric("CallbacksRequested"), _app_metric("CallbacksOverdue")],
            ),
            graph(
                "Drift: counters repaired, presence, typing cleared",
                [_app_metric("CounterDrift"), _app_metric("PresenceDrift"), _app_metric("TypingDriftCleared")],
            ),
            graph(
                "Schedule failures",
                [
                    api.schedule_failures.metric_approximate_number_of_messages_visible(
                        period=PERIOD, statistic="Maximum"
                    ),
                    *[lam(f, "Errors") for f in api.scheduled],
                ],
            ),
        )
        self.dashboard.add_widgets(
            graph("REST requests and errors", [rest_metric("Count"), rest_metric("4XXError"), rest_metric("5XXError")]),
            graph("REST latency p99 (ms)", [rest_metric("Latency", "p99"), rest_metric("IntegrationLatency", "p99")]),
            graph(
                "Rejected actions and sequence retries",
                [_app_metric("RejectedActions"), _app_metric("SequenceRetries")],
            ),
        )

        for name, value, what in (
            ("AlarmTopicArn", self.topic.topic_arn, "SNS topic every alarm notifies"),
            ("DashboardName", self.dashboard.dashboard_name, "CloudWatch dashboard for on-call"),
        ):
            CfnOutput(self, name, value=value, description=what).override_logical_id(name)
