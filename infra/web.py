"""Web: the dashboard, `widget.js` and the demo page, from a private bucket behind CloudFront.

`Site` (stateful stack) is the bucket and the distribution: the distribution's domain is
in every tenant's embed snippet, so a redeploy of the app must never replace it.
`SiteContent` (stateless stack) uploads `frontend/dist` and writes `config.json` from the
stack's own values at deploy time, so nobody edits it.

Caching: everything `frontend/dist` builds today keeps a stable name (`widget.js` must: it
is the URL tenants embed), so it is cached briefly and revalidated; files under `assets/`
are meant to carry a content hash in their name and are cached for a year.
"""

from __future__ import annotations

from aws_cdk import Aws, CfnOutput, Duration, RemovalPolicy, Stack, Token
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from constructs import Construct

from infra.lint import lint_exception
from infra.nag import suppress
from infra.runtime import FRONTEND_DIST
from infra.settings import StageSettings

SHORT_CACHE = Duration.minutes(1)
SHORT_CACHE_MAX = Duration.minutes(5)
LONG_CACHE = Duration.days(365)
HSTS_MAX_AGE = Duration.days(730)
ACCESS_LOG_DAYS = 90
HASHED_ASSETS = "assets/*"
DASHBOARD_PAGE = "agent.html"


def site_bucket_name(stage: StageSettings) -> str:
    """Bucket names are global: the account and region make this one unique. Both stacks
    compute it, so the upload addresses the bucket by name, not through a stack export."""
    return f"{stage.physical('site')}-{Aws.ACCOUNT_ID}-{Aws.REGION}"


def content_security_policy() -> str:
    """Scripts and styles from the site only; the app talks to its API Gateway APIs and
    Cognito in this region. `style-src 'unsafe-inline'`: the widget sets inline styles on its
    host element and ships its CSS as a <style> in its shadow root."""
    execute_api = f"*.execute-api.{Aws.REGION}.{Aws.URL_SUFFIX}"
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            f"connect-src 'self' https://{execute_api} wss://{execute_api} https://cognito-idp.{Aws.REGION}.{Aws.URL_SUFFIX}",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "form-action 'none'",
            "object-src 'none'",
        ]
    )


def _headers_policy(scope: Construct, construct_id: str, cache_control: str) -> cloudfront.ResponseHeadersPolicy:
    return cloudfront.ResponseHeadersPolicy(
        scope,
        construct_id,
        comment=f"Flow Hub security headers; Cache-Control: {cache_control}",
        security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
            content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                content_security_policy=content_security_policy(), override=True
            ),
            strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                access_control_max_age=HSTS_MAX_AGE, include_subdomains=True, override=True
            ),
            content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
            frame_options=cloudfront.ResponseHeadersFrameOptions(
                frame_option=cloudfront.HeadersFrameOption.DENY, override=True
            ),
            referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                referrer_policy=cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN, override=True
            ),
        ),
        # The widget runs on tenants' sites and fetches config.json from here.
        cors_behavior=cloudfront.ResponseHeadersCorsBehavior(
            access_control_allow_origins=["*"],
            access_control_allow_methods=["GET", "HEAD", "OPTIONS"],
            access_control_allow_headers=["*"],
            access_control_allow_credentials=False,
            access_control_max_age=Duration.minutes(10),
            origin_override=True,
        ),
        custom_headers_behavior=cloudfront.ResponseCustomHeadersBehavior(
            custom_headers=[cloudfront.ResponseCustomHeader(header="Cache-Control", value=cache_control, override=True)]
        ),
    )


class Site(Construct):
    """The private bucket and the CloudFront distribution in front of it."""

    def __init__(self, scope: Construct, construct_id: str, *, stage: StageSettings) -> None:
        super().__init__(scope, construct_id)
        removal = RemovalPolicy.RETAIN if stage.protect_data else RemovalPolicy.DESTROY

        # CloudFront standard logs are written with ACLs, so this bucket keeps object-writer ownership.
        self.logs = s3.Bucket(
            self,
            "AccessLogs",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.OBJECT_WRITER,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(ACCESS_LOG_DAYS))],
            removal_policy=removal,
            auto_delete_objects=not stage.protect_data,
        )
        lint_exception(
            self.logs,
            "W3045",
            "CloudFront standard logging delivers with the LogDeliveryWrite ACL, which CDK sets as AccessControl.",
        )
        suppress(
            self.logs,
            "AwsSolutions-S1",
            "This bucket is the access-log destination of the site bucket and the distribution; logging "
            "its own access would log into itself.",
        )
        self.bucket = s3.Bucket(
            self,
            "Assets",
            bucket_name=site_bucket_name(stage),
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            server_access_logs_bucket=self.logs,
            server_access_logs_prefix="s3/",
            removal_policy=removal,
            auto_delete_objects=not stage.protect_data,
        )

        provider = Stack.of(self).node.try_find_child("Custom::S3AutoDeleteObjectsCustomResourceProvider")
        if provider is not None:  # only where buckets are emptied on delete (unprotected stages)
            lint_exception(
                provider.node.find_child("Handler"),
                "W3005",
                "aws-cdk-lib's auto-delete-objects provider lists its role in DependsOn besides referencing its ARN.",
            )

        short = cloudfront.CachePolicy(
            self,
            "ShortCache",
            comment="HTML, config.json and widget.js: stable names, revalidated often",
            default_ttl=SHORT_CACHE,
            max_ttl=SHORT_CACHE_MAX,
            min_ttl=Duration.seconds(0),
            enable_accept_encoding_gzip=True,
            enable_accept_encoding_brotli=True,
        )
        long = cloudfront.CachePolicy(
            self,
            "LongCache",
            comment="Content-hashed assets: never change under their name",
            default_ttl=LONG_CACHE,
            max_ttl=LONG_CACHE,
            min_ttl=LONG_CACHE,
            enable_accept_encoding_gzip=True,
            enable_accept_encoding_brotli=True,
        )
        self.headers = _headers_policy(
            self, "Headers", f"public, max-age={int(SHORT_CACHE.to_seconds())}, must-revalidate"
        )
        hashed_headers = _headers_policy(
            self, "HashedHeaders", f"public, max-age={int(LONG_CACHE.to_seconds())}, immutable"
        )
        origin = origins.S3BucketOrigin.with_origin_access_control(self.bucket)
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment=f"Flow Hub {stage.name}: dashboard, widget and demo page",
            default_root_object="index.html",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origin,
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD_OPTIONS,
                cache_policy=short,
                response_headers_policy=self.headers,
                compress=True,
            ),
            additional_behaviors={
                HASHED_ASSETS: cloudfront.BehaviorOptions(
                    origin=origin,
                    viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                    allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD_OPTIONS,
                    cache_policy=long,
                    response_headers_policy=hashed_headers,
                    compress=True,
                )
            },
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
            enable_logging=True,
            log_bucket=self.logs,
            log_file_prefix="cloudfront/",
        )
        suppress(
            self.distribution,
            "AwsSolutions-CFR1",
            "No geo restriction: tenants' customers and agents may be anywhere; the site serves public "
            "static files and every API call is authenticated or throttled.",
        )
        suppress(
            self.distribution,
            "AwsSolutions-CFR2",
            "No WAF web ACL on the static site (a web ACL costs per month and per request); it serves public "
            "build output only. The APIs behind it are throttled per stage and per public route.",
        )
        suppress(
            self.distribution,
            "AwsSolutions-CFR4",
            "The distribution uses CloudFront's default *.cloudfront.net certificate, which cannot pin a minimum "
            "TLS version; set minimum_protocol_version TLSv1.2_2021 with the custom domain and certificate.",
        )

        self.domain = self.distribution.distribution_domain_name
        self.url = f"https://{self.domain}"
        self.dashboard_url = f"{self.url}/{DASHBOARD_PAGE}"
        for name, value, what in (
            ("SiteUrl", self.url, "Demo page and widget host"),
            ("DashboardUrl", self.dashboard_url, "Agent dashboard"),
            ("SiteBucketName", self.bucket.bucket_name, "Bucket behind the distribution"),
            ("DistributionId", self.distribution.distribution_id, "CloudFront distribution"),
            ("EmbedSnippet", embed_snippet(self.url), "Paste into the tenant's site, with the tenant's widget key"),
        ):
            CfnOutput(self, name, value=value, description=what).override_logical_id(name)


_CDK_ASSET_READ = (
    "BucketDeployment reads the build it unpacks from the CDK asset bucket; CDK grants that read with wildcards."
)


def embed_snippet(site_url: str) -> str:
    return f'<script src="{site_url}/widget.js" data-widget-key="YOUR_WIDGET_KEY" async></script>'


class SiteContent(Construct):
    """Uploads the built frontend and its `config.json`, then invalidates the distribution."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: StageSettings,
        site: Site,
        api_url: str,
        ws_url: str,
        user_pool_id: str,
        client_id: str,
    ) -> None:
        super().__init__(scope, construct_id)
        if not (FRONTEND_DIST / "widget.js").is_file():
            raise FileNotFoundError(f"{FRONTEND_DIST} has no widget.js: build the frontend first (scripts/bootstrap)")
        config = {
            "apiUrl": api_url,
            "wsUrl": ws_url,
            "cognito": {"region": Aws.REGION, "userPoolId": user_pool_id, "clientId": client_id},
            "stage": stage.name,
        }
        bucket = s3.Bucket.from_bucket_name(self, "SiteBucket", site_bucket_name(stage))
        deployment = s3deploy.BucketDeployment(
            self,
            "Upload",
            destination_bucket=bucket,
            sources=[s3deploy.Source.asset(str(FRONTEND_DIST)), s3deploy.Source.json_data("config.json", config)],
            distribution=site.distribution,
            distribution_paths=["/*"],
            prune=True,
            memory_limit=256,
        )
        # BucketDeployment runs as a CDK-managed singleton Lambda created at stack level.
        stack = Stack.of(self)
        handler = [c for c in stack.node.children if c.node.id.startswith("Custom::CDKBucketDeployment")]
        # CDK's asset bucket, as cdk-nag spells it: literal account and region once the stack has an env.
        account = "<AWS::AccountId>" if Token.is_unresolved(stack.account) else stack.account
        region = "<AWS::Region>" if Token.is_unresolved(stack.region) else stack.region
        asset_objects = f"arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-{account}-{region}/*"
        for construct in handler:
            lint_exception(
                construct,
                "W3005",
                "aws-cdk-lib's BucketDeployment handler lists its role in DependsOn besides referencing its ARN.",
            )
        bucket_objects = f"arn:<AWS::Partition>:s3:::{stage.physical('site')}-<AWS::AccountId>-<AWS::Region>/*"
        for rule, reason in (
            (
                "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
                "CDK's BucketDeployment custom resource (a CDK-managed singleton Lambda) writes its logs with the "
                "AWS managed basic execution policy.",
            ),
            ("AwsSolutions-IAM5[Action::s3:GetObject*]", _CDK_ASSET_READ),
            ("AwsSolutions-IAM5[Action::s3:GetBucket*]", _CDK_ASSET_READ),
            ("AwsSolutions-IAM5[Action::s3:List*]", _CDK_ASSET_READ),
            (f"AwsSolutions-IAM5[Resource::{asset_objects}]", _CDK_ASSET_READ),
            (
                "AwsSolutions-IAM5[Action::s3:DeleteObject*]",
                "BucketDeployment deletes the files a new build no longer has (prune), in the site bucket only.",
            ),
            (
                "AwsSolutions-IAM5[Action::s3:Abort*]",
                "BucketDeployment uploads the build into the site bucket only; CDK writes that grant with wildcards.",
            ),
            (
                f"AwsSolutions-IAM5[Resource::{bucket_objects}]",
                "BucketDeployment writes the objects of the site bucket, whose names come from the build.",
            ),
            (
                "AwsSolutions-IAM5[Resource::*]",
                "BucketDeployment's policy cannot scope cloudfront:CreateInvalidation to one distribution.",
            ),
            (
                "AwsSolutions-L1",
                "The runtime of CDK's BucketDeployment custom resource is chosen by aws-cdk-lib, not by this app.",
            ),
        ):
            for construct in handler:
                suppress(construct, rule, reason)
        self.deployment = deployment
