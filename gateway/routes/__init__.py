"""The gateway's endpoints, one mixin per resource; ``gateway.service`` composes them."""
