"""Indicators and escalation policies."""

import csv
import io

from werkzeug.wrappers import Response

from gateway.http import api, query_dict, read_json
from shared.api.cases import EscalationPolicySchema, PolicyDeletedSchema
from shared.api.common import key_from_path
from shared.api.stats import (
    HotspotQuerySchema,
    HotspotTableSchema,
    IndicatorTableSchema,
    StatsQuerySchema,
)
from shared.errors import Conflict, Unprocessable

CSV = "text/csv"
TABLE_AS_CSV = {"type": "string", "description": "The rows as CSV (UTF-8 with a BOM), one column per field."}

# Column headers of the indicator and hot-spot tables for people (`lang=`); machines read the field names.
CSV_HEADERS = {
    "zh-CN": {
        "key": "编号",
        "name": "名称",
        "reported": "上报",
        "due": "应结",
        "deferred": "缓办",
        "closed": "结案",
        "closed_on_time": "按期结案",
        "dispatched": "派遣",
        "extended": "延期",
        "checked": "核查",
        "failed_check": "核查未通过",
        "on_time_closure_rate": "按期结案率",
        "closure_rate": "结案率",
        "rework_rate": "返工率",
        "extension_rate": "延期率",
        "public_reported": "市民诉求",
        "public_answered_in_time": "按时响应",
        "public_due": "市民诉求应结",
        "public_resolved": "已解决",
        "rated": "已评价",
        "satisfied": "满意（含基本满意）",
        "response_rate": "响应率",
        "resolution_rate": "解决率",
        "satisfaction_rate": "满意率",
        "dispatch_mean_hours": "派遣平均用时（小时）",
        "dispatch_p90_hours": "派遣90分位用时（小时）",
        "sign_for_mean_hours": "签收平均用时（小时）",
        "sign_for_p90_hours": "签收90分位用时（小时）",
        "disposal_mean_hours": "处置平均用时（小时）",
        "disposal_p90_hours": "处置90分位用时（小时）",
        "verification_mean_hours": "核查平均用时（小时）",
        "verification_p90_hours": "核查90分位用时（小时）",
        "open": "在办",
        "overdue": "超期",
        "grid": "网格",
        "community": "社区",
        "street": "街道",
    },
    "en": {
        "key": "Code",
        "name": "Name",
        "reported": "Reported",
        "due": "Due",
        "deferred": "Deferred",
        "closed": "Closed",
        "closed_on_time": "Closed on time",
        "dispatched": "Dispatched",
        "extended": "Extended",
        "checked": "Checked",
        "failed_check": "Failed the check",
        "on_time_closure_rate": "On-time closure rate",
        "closure_rate": "Closure rate",
        "rework_rate": "Rework rate",
        "extension_rate": "Extension rate",
        "public_reported": "Public reports",
        "public_answered_in_time": "Answered in time",
        "public_due": "Public reports due",
        "public_resolved": "Resolved",
        "rated": "Rated",
        "satisfied": "Satisfied (incl. basically)",
        "response_rate": "Response rate",
        "resolution_rate": "Resolution rate",
        "satisfaction_rate": "Satisfaction rate",
        "dispatch_mean_hours": "Dispatch, mean hours",
        "dispatch_p90_hours": "Dispatch, 90th percentile hours",
        "sign_for_mean_hours": "Sign-for, mean hours",
        "sign_for_p90_hours": "Sign-for, 90th percentile hours",
        "disposal_mean_hours": "Disposal, mean hours",
        "disposal_p90_hours": "Disposal, 90th percentile hours",
        "verification_mean_hours": "Check, mean hours",
        "verification_p90_hours": "Check, 90th percentile hours",
        "open": "Open",
        "overdue": "Overdue",
        "grid": "Grid",
        "community": "Community",
        "street": "Street",
    },
}


def table_or_csv(table: dict, query: dict, filename: str):
    """The table as JSON, or as a CSV file named ``filename`` when the query asks ``format=csv``."""
    if query.get("format") == "csv":
        return csv_response(table["rows"], filename, query.get("lang"))
    return table


def csv_response(rows: list[dict], filename: str, lang: str | None = None) -> Response:
    """A table as CSV (UTF-8 with a BOM, so spreadsheet programs read the Chinese right), headed in ``lang``."""
    buffer = io.StringIO()
    if rows:
        fieldnames = list(rows[0])
        writer = csv.DictWriter(buffer, fieldnames=fieldnames)
        headers = CSV_HEADERS.get(lang or "", {})
        writer.writerow({name: headers.get(name, name) for name in fieldnames})
        writer.writerows(rows)
    return Response(
        "\ufeff" + buffer.getvalue(),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


class StatsApi:
    @api(
        "GET",
        "/api/v1/stats/hotspots",
        summary="Hot spots: the grids with most cases reported in a period",
        tags=["indicators"],
        query=HotspotQuerySchema,
        responses={
            200: (
                "Grids, most cases first (CSV with format=csv).",
                {"application/json": HotspotTableSchema, CSV: TABLE_AS_CSV},
            )
        },
    )
    def hotspots(self, request):
        query = query_dict(request)
        table = self.indicators.hotspots(query)
        return table_or_csv(table, query, f"hotspots-{table['first_day']}-{table['last_day']}.csv")

    @api(
        "GET",
        "/api/v1/stats/<dimension>",
        summary="Indicators per district, department, grid, community, street or category",
        description="按期结案率 on-time closure rate = closed on time / (due − deferred); 结案率 closure rate = "
        "closed / (due − deferred); 返工率 rework rate = cases that failed a check / cases checked; "
        "延期率 extension rate = cases extended / cases dispatched; 接诉即办 over the public's cases: "
        "响应率 response rate = answered within RESPONSE_LIMIT_HOURS / reported, 解决率 resolution rate "
        "= closed and not rated 不满意 / due, 满意率 satisfaction rate = rated 满意 or 基本满意 / rated; "
        "mean and 90th-percentile hours per "
        "stage; open and overdue now. A case is due in the period of its disposal deadline. "
        "See docs/indicators.md. `format=csv` for a spreadsheet, `lang=zh-CN` or `en` for headers in "
        "that language.",
        tags=["indicators"],
        query=StatsQuerySchema,
        responses={
            200: (
                "One row per key (CSV with format=csv).",
                {"application/json": IndicatorTableSchema, CSV: TABLE_AS_CSV},
            )
        },
    )
    def indicators_table(self, request, dimension):
        query = query_dict(request)
        table = self.indicators.indicators(dimension, query)
        return table_or_csv(table, query, f"{dimension}-{table['period']}-{table['first_day']}.csv")

    @api(
        "GET",
        "/api/v1/escalation-policies",
        summary="Escalation policies (current versions)",
        tags=["indicators"],
        responses={200: ("Policies.", EscalationPolicySchema(many=True))},
    )
    def escalation_policies(self, request):
        return self.cases.escalation_policies()

    @api(
        "PUT",
        "/api/v1/escalation-policies/<policy_id>",
        summary="Save a new version of an escalation policy (administrators)",
        description="Cases already under way keep the version they started with.",
        tags=["indicators"],
        body=key_from_path(EscalationPolicySchema, "policy_id"),
        responses={
            200: ("The new version.", EscalationPolicySchema),
            201: ("A new policy (version 1).", EscalationPolicySchema),
        },
        raises={
            Conflict: "Someone saved this policy at the same moment.",
            Unprocessable: "The policy cannot be used as written (`details.problems`).",
        },
    )
    def save_escalation_policy(self, request, policy_id):
        saved = self.cases.save_escalation_policy(policy_id, read_json(request))
        return (201 if saved["version"] == 1 else 200), saved

    @api(
        "DELETE",
        "/api/v1/escalation-policies/<policy_id>",
        summary="Delete an escalation policy (administrators)",
        description="No new case takes it; cases already under way keep the version they started with. "
        "The default policy, and a policy a category names, cannot be deleted.",
        tags=["indicators"],
        responses={200: ("Deleted.", PolicyDeletedSchema)},
        raises={Conflict: "The default policy, or one a category names."},
    )
    def delete_escalation_policy(self, request, policy_id):
        return self.cases.delete_escalation_policy(policy_id)
