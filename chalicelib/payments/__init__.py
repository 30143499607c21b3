"""Money in and out: the payment gateway protocol, its Stripe adapter, checkout and payout parties."""
