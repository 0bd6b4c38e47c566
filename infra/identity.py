"""Identity: who may sign in to the agent dashboard, and the key widget sessions are signed with.

- The Cognito user pool holds agents. Only an administrator creates them
  (`python -m tools.admin agent invite`), with the tenant in `custom:tenant`, which is
  immutable and which the dashboard's app client cannot write: an agent can never move
  to another tenant.
- The app client is public (a browser app) and signs in with USER_PASSWORD_AUTH, as the
  dashboard does (`frontend/src/agent/auth.ts`).
- The widget signing secret is the HS256 key of customer session tokens (`chalicelib.platform.auth`).
"""

from __future__ import annotations

from aws_cdk import CfnOutput, Duration, RemovalPolicy
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.nag import suppress
from infra.runtime import TENANT_ATTRIBUTE
from infra.settings import StageSettings

PASSWORD_MIN_LENGTH = 12
TEMPORARY_PASSWORD_DAYS = 3
ID_TOKEN_MINUTES = 60
# An agent's shift: after this the dashboard asks for the password again.
REFRESH_TOKEN_HOURS = 12
WIDGET_KEY_LENGTH = 64


class Identity(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, stage: StageSettings, dashboard_url: str) -> None:
        super().__init__(scope, construct_id)
        removal = RemovalPolicy.RETAIN if stage.protect_data else RemovalPolicy.DESTROY

        self.user_pool = cognito.UserPool(
            self,
            "Agents",
            user_pool_name=stage.physical("agents"),
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(email=True),
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            standard_attributes=cognito.StandardAttributes(
                fullname=cognito.StandardAttribute(required=False, mutable=True),
            ),
            custom_attributes={TENANT_ATTRIBUTE: cognito.StringAttribute(min_len=1, max_len=64, mutable=False)},
            password_policy=cognito.PasswordPolicy(
                min_length=PASSWORD_MIN_LENGTH,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=Duration.days(TEMPORARY_PASSWORD_DAYS),
            ),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            user_invitation=cognito.UserInvitationConfig(
                email_subject="Your Flow Hub agent account",
                email_body=(
                    "You have been invited to the Flow Hub agent dashboard: "
                    f"{dashboard_url}<br>Username: {{username}}<br>Temporary password: {{####}}"
                    "<br>You will choose your own password when you first sign in."
                ),
            ),
            deletion_protection=stage.protect_data,
            removal_policy=removal,
        )
        suppress(
            self.user_pool,
            "AwsSolutions-COG2",
            "MFA is not required yet: the dashboard's sign-in supports password and new-password challenges "
            "only (frontend/src/agent/auth.ts). Accounts are admin-created with a strong password policy.",
        )
        suppress(
            self.user_pool,
            "AwsSolutions-COG8",
            "The Plus feature plan (threat protection) costs per monthly active user; the pool has no self "
            "sign-up, admin-created accounts only, and a strong password policy.",
        )
        suppress(
            self.user_pool,
            "AwsSolutions-COG3",
            "Advanced security (threat protection) is a paid Cognito feature plan; the pool has no self sign-up "
            "and the REST/WebSocket entry points are throttled. Enable it per stage when the budget allows.",
        )

        self.client = self.user_pool.add_client(
            "Dashboard",
            user_pool_client_name=stage.physical("dashboard"),
            generate_secret=False,
            auth_flows=cognito.AuthFlow(user_password=True, user_srp=True),
            prevent_user_existence_errors=True,
            id_token_validity=Duration.minutes(ID_TOKEN_MINUTES),
            access_token_validity=Duration.minutes(ID_TOKEN_MINUTES),
            refresh_token_validity=Duration.hours(REFRESH_TOKEN_HOURS),
            read_attributes=cognito.ClientAttributes()
            .with_standard_attributes(email=True, email_verified=True, fullname=True)
            .with_custom_attributes(TENANT_ATTRIBUTE),
            # Agents may change their display name, never their tenant.
            write_attributes=cognito.ClientAttributes().with_standard_attributes(fullname=True),
        )

        self.widget_secret = secretsmanager.Secret(
            self,
            "WidgetSigningKey",
            secret_name=f"flow-hub/{stage.name}/widget-signing-key",
            description="HS256 key of widget (customer) session tokens",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=WIDGET_KEY_LENGTH, exclude_punctuation=True
            ),
            removal_policy=removal,
        )
        suppress(
            self.widget_secret,
            "AwsSolutions-SMG4",
            "Not rotated automatically: the runtime verifies widget sessions (valid 24 h) with one key, so a "
            "rotation signs every customer out. Rotate by hand in a quiet hour (docs/deploy.md).",
        )

        for name, value, what in (
            ("UserPoolId", self.user_pool.user_pool_id, "Cognito user pool of the agents"),
            ("UserPoolClientId", self.client.user_pool_client_id, "Dashboard app client"),
            ("WidgetSecretArn", self.widget_secret.secret_arn, "Widget session signing key"),
        ):
            CfnOutput(self, name, value=value, description=what).override_logical_id(name)
