"""Reference data: the grid map and hierarchy, departments, categories, routing rules, users."""

from gateway.http import api, json_response, query_dict, read_json
from shared.api.common import DeletedSchema, key_from_path
from shared.api.directory import (
    KEY_FIELD,
    AreasSchema,
    CategorySchema,
    DepartmentSchema,
    GridMapCheckedSchema,
    GridMapImportedSchema,
    GridSchema,
    LocateQuerySchema,
    LocationAnswerSchema,
    PasswordChangedSchema,
    PasswordChangeSchema,
    RoutingRuleSchema,
    UserQuerySchema,
    UserSchema,
    UserWriteSchema,
)
from shared.errors import Conflict, Unprocessable

MAP_MAX_BYTES = 50 * 1024 * 1024
GEOJSON = "application/geo+json; charset=utf-8"
FEATURE_COLLECTION = {"type": "object", "description": "A GeoJSON FeatureCollection: areas and grids."}


class DirectoryApi:
    @api(
        "GET",
        "/api/v1/directory/areas",
        summary="The hierarchy: district, streets, communities, grids",
        tags=["directory"],
        responses={200: ("The current map's areas and grids.", AreasSchema)},
    )
    def list_areas(self, request):
        return self.directory.list_areas()

    @api(
        "GET",
        "/api/v1/directory/grid-map",
        summary="Export the grid map (GeoJSON FeatureCollection)",
        tags=["directory"],
        responses={200: ("The map.", {"application/geo+json": FEATURE_COLLECTION})},
    )
    def export_grid_map(self, request):
        response = json_response(200, self.directory.export_grid_map())
        response.content_type = GEOJSON
        return response

    @api(
        "PUT",
        "/api/v1/directory/grid-map",
        summary="Import the grid map (GeoJSON FeatureCollection)",
        description="All or nothing: a map with any fault is refused with the list of every fault "
        "(unclosed or self-intersecting polygon, overlap, unknown parent, duplicate code, "
        "grid without an officer, …) and nothing is imported.",
        tags=["directory"],
        body=FEATURE_COLLECTION,
        responses={200: ("Imported; the new map version.", GridMapImportedSchema)},
        raises={
            Unprocessable: "The faults, one by one (`details.faults`); nothing was imported.",
            Conflict: "The map changed while this import ran.",
        },
    )
    def import_grid_map(self, request):
        return self.directory.import_grid_map(read_json(request, max_bytes=MAP_MAX_BYTES))

    @api(
        "POST",
        "/api/v1/directory/grid-map/check",
        summary="Check a grid map without importing it",
        description="Every fault an import of this FeatureCollection would refuse it for (each with the index of "
        "its feature), or how many areas and grids it would put in place; nothing is imported.",
        tags=["directory"],
        body=FEATURE_COLLECTION,
        responses={200: ("What an import would find.", GridMapCheckedSchema)},
    )
    def check_grid_map(self, request):
        return self.directory.check_grid_map(read_json(request, max_bytes=MAP_MAX_BYTES))

    @api(
        "GET",
        "/api/v1/directory/grids/<code>",
        summary="One grid: polygon, officers, leader, households",
        tags=["directory"],
        responses={200: ("The grid.", GridSchema)},
    )
    def get_grid(self, request, code):
        return self.directory.get_grid(code)

    @api(
        "GET",
        "/api/v1/directory/locate",
        summary="Which grid a point lies in",
        tags=["directory"],
        query=LocateQuerySchema,
        responses={200: ("The grid, or null outside the district.", LocationAnswerSchema)},
    )
    def locate(self, request):
        return self.directory.locate(query_dict(request))

    @api(
        "GET",
        "/api/v1/directory/users",
        summary="People (administrators only)",
        tags=["directory"],
        query=UserQuerySchema,
        responses={200: ("Everyone, filtered by `role` and `department`.", UserSchema(many=True))},
    )
    def list_users(self, request):
        return self.directory.list_users(query_dict(request))

    @api(
        "GET",
        "/api/v1/directory/users/<user_id>",
        summary="One person (administrators, or oneself)",
        tags=["directory"],
        responses={200: ("The person.", UserSchema)},
    )
    def get_user(self, request, user_id):
        return self.directory.get_user(user_id)

    @api(
        "PUT",
        "/api/v1/directory/users/<user_id>",
        summary="Create or change a person (administrators)",
        tags=["directory"],
        body=key_from_path(UserWriteSchema, KEY_FIELD["users"]),
        responses={200: ("Saved.", UserSchema)},
        raises={Unprocessable: "An unknown department.", Conflict: "Another person has this username."},
    )
    def put_user(self, request, user_id):
        return self.directory.put_user(user_id, read_json(request))

    @api(
        "POST",
        "/api/v1/directory/users/<user_id>/password",
        summary="Change a password (one's own with the old one; administrators anyone's)",
        tags=["directory"],
        body=PasswordChangeSchema,
        responses={200: ("Changed.", PasswordChangedSchema)},
    )
    def change_password(self, request, user_id):
        return self.directory.change_password(user_id, read_json(request))


def _item_routes(kind: str, path: str, schema, noun: str) -> dict:
    """List, read, write and delete endpoints of one kind of reference item."""

    def list_items(self, request):
        return self.directory.list_items(kind)

    def get_item(self, request, key):
        return self.directory.get_item(kind, key)

    def put_item(self, request, key):
        return self.directory.put_item(kind, key, read_json(request))

    def delete_item(self, request, key):
        return self.directory.delete_item(kind, key)

    base = f"/api/v1/directory/{path}"
    routes = {
        f"list_{kind}": api(
            "GET",
            base,
            summary=f"All {path.replace('-', ' ')}",
            tags=["directory"],
            responses={200: (f"Every {noun}.", schema(many=True))},
        )(list_items),
        f"get_{kind}": api(
            "GET", f"{base}/<key>", summary=f"One {noun}", tags=["directory"], responses={200: (f"The {noun}.", schema)}
        )(get_item),
        f"put_{kind}": api(
            "PUT",
            f"{base}/<key>",
            summary=f"Create or replace a {noun} (administrators)",
            tags=["directory"],
            body=key_from_path(schema, KEY_FIELD[kind]),
            responses={200: ("Saved, with the new `revision`; other services get it by event.", schema)},
            raises={
                Unprocessable: "It names something unknown (a department, category, area).",
                Conflict: f"Another {noun} has the same unique name.",
            },
        )(put_item),
        f"delete_{kind}": api(
            "DELETE",
            f"{base}/<key>",
            summary=f"Remove a {noun} (administrators)",
            tags=["directory"],
            responses={200: ("Removed.", DeletedSchema)},
        )(delete_item),
    }
    for name, function in routes.items():
        function.__name__ = name
    return routes


DirectoryItemsApi = type(
    "DirectoryItemsApi",
    (),
    {
        **_item_routes("departments", "departments", DepartmentSchema, "department"),
        **_item_routes("categories", "categories", CategorySchema, "category"),
        **_item_routes("routing_rules", "routing-rules", RoutingRuleSchema, "routing rule"),
    },
)
