from gateway.http import api, read_json
from shared.api.directory import MeSchema, SignInSchema, TokenSchema
from shared.errors import TooManyRequests, Unauthenticated


class AuthApi:
    @api(
        "POST",
        "/api/v1/auth/token",
        summary="Sign in: username and password for an access token",
        description="Send the token as `Authorization: Bearer <token>` on every other call. "
        "Five wrong passwords in 15 minutes lock the username for a while (429), and twenty from "
        "one client address lock that address (429), whichever username they tried.",
        tags=["auth"],
        body=SignInSchema,
        responses={200: ("Signed in.", TokenSchema)},
        raises={Unauthenticated: "Wrong username or password.", TooManyRequests: "Too many failed attempts."},
        public=True,
    )
    def issue_token(self, request):
        return self.directory.issue_token(read_json(request), request.client_address)

    @api(
        "GET",
        "/api/v1/me",
        summary="Who I am: profile, roles, grids",
        tags=["auth"],
        responses={200: ("The signed-in person.", MeSchema)},
    )
    def me(self, request):
        return self.directory.me()
