#!/bin/sh
# The one-shot mongo-init step of docker-compose.yml: makes the three mongod members one replica set and gives
# civicgrid its own database user. Every service waits for it to succeed.
#
# Safe to run any number of times (`docker compose up` runs it on every start): a set that exists is left as it
# is, and the application's user is created once, then only brought back to what .env and DB_PREFIX say.
#
# The root user is the one the official image creates on mongo1's first start (MONGO_INITDB_ROOT_USERNAME); only
# mongo1 gets it, because a replica set can only be initiated from the member holding data while the others are
# empty: they copy everything, the root user included, from it by initial sync.
set -eu

: "${MONGO_REPLICA_SET:?}" "${MONGO_MEMBERS:?}" "${MONGO_APP_DATABASES:?}"
: "${MONGO_ROOT_USERNAME:?}" "${MONGO_ROOT_PASSWORD:?}" "${MONGO_APP_USERNAME:?}" "${MONGO_APP_PASSWORD:?}"
timeout=${MONGO_INIT_TIMEOUT_SECONDS:-300}
here=$(dirname "$0")
members=$(echo "$MONGO_MEMBERS" | tr ',' ' ')
first=${MONGO_MEMBERS%%,*}

say() { echo "mongo-init: $*"; }

# The services put these two into MONGO_URI as they are: a character that needs percent-encoding there would leave
# every service unable to sign in, so refuse it here, where the message can say why.
for value in "$MONGO_APP_USERNAME" "$MONGO_APP_PASSWORD"; do
    case $value in
        *[!A-Za-z0-9._~-]*)
            say "CIVICGRID_MONGO_USER and CIVICGRID_MONGO_PASSWORD may hold only letters, digits and . _ ~ -" \
                "(they go unescaped into MONGO_URI); e.g. openssl rand -hex 24" >&2
            exit 1 ;;
    esac
done
# Updating the application's user below would strip the root user of its role.
if [ "$MONGO_APP_USERNAME" = "$MONGO_ROOT_USERNAME" ]; then
    say "CIVICGRID_MONGO_USER must differ from CIVICGRID_MONGO_ROOT_USER" >&2
    exit 1
fi

# mongosh on one member alone (the set may not exist yet). Nothing here passes a password on a command line, which
# every user of the Docker host can read (ps): the .js files take them from the environment (process.env).
on_member() {
    host=$1
    shift
    mongosh --quiet --norc "mongodb://$host/admin?directConnection=true&serverSelectionTimeoutMS=2000" "$@"
}

deadline=$(($(date +%s) + timeout))
# wait_for WHAT COMMAND...: runs COMMAND every 2 s until it succeeds; fails naming WHAT at the deadline.
wait_for() {
    what=$1
    shift
    until "$@" >/dev/null 2>&1; do
        if [ "$(date +%s)" -ge "$deadline" ]; then
            say "gave up after ${timeout}s waiting for $what" >&2
            exit 1
        fi
        sleep 2
    done
}

# A healthy member only answered inside its own container: on mongo1's first start the image runs a temporary
# mongod on 127.0.0.1 while it creates the root user. Wait until every member answers over the network.
for host in $members; do
    wait_for "$host to answer" on_member "$host" --eval 'db.adminCommand({ping: 1})'
    say "$host answers"
done

# Any member that has the set's configuration names the set in hello (no credentials needed). Then it exists,
# possibly without mongo1 (whose volume may be new): initiating again could only fail, so leave it alone.
initiated=
for host in $members; do
    set_name=$(on_member "$host" --eval 'print(db.hello().setName || "")')
    if [ "$set_name" = "$MONGO_REPLICA_SET" ]; then
        initiated=$host
        break
    fi
done
if [ -n "$initiated" ]; then
    say "replica set $MONGO_REPLICA_SET already initiated ($initiated has its configuration)"
else
    # initiate.js checks rs.status() again as root before initiating, so a run racing this one is harmless too.
    on_member "$first" --file "$here/initiate.js"
fi

# Users can only be created on a primary, and the services need one to write.
has_primary() {
    for host in $members; do
        on_member "$host" --eval 'quit(db.hello().isWritablePrimary ? 0 : 1)' && return 0
    done
    return 1
}
wait_for "the replica set to elect a primary" has_primary
say "a primary is elected"

# Through the whole set, so the driver sends the user's creation to the primary, wherever it is.
mongosh --quiet --norc "mongodb://$MONGO_MEMBERS/admin?replicaSet=$MONGO_REPLICA_SET" --file "$here/app-user.js"
say "done"
