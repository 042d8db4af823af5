"""The resident's phone pages: home, quick log (a bus trip in at most 3 taps), history, ledger, QR."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from sqlalchemy import select

from models import Action, ActionStatus, Role, utcnow
from webapp.services import actions, ledger

from .pages import csrf_from, login


def signed_in(client, user):
    assert login(client, user).status_code == 200
    return client


def test_home_shows_balance_week_total_and_the_type_grid(client, resident):
    page = signed_in(client, resident).get("/me/").get_data(as_text=True)
    assert 'data-test="balance">0<' in page
    assert 'data-type="bus"' in page
    assert 'data-type="waste_paper"' in page
    assert 'data-type="buy_own_bag"' in page
    assert "/methodology" in page


def test_home_puts_the_resident_s_frequent_types_first(client, resident, session):
    page = signed_in(client, resident).get("/me/").get_data(as_text=True)
    quick = page[page.index('data-test="quick-tiles"') : page.index("</ul>", page.index('data-test="quick-tiles"'))]
    assert re.findall(r'data-type="(\w+)"', quick) == ["bus", "bike_shared", "walk", "waste_kitchen"]
    assert page.index('data-test="quick-tiles"') < page.index('data-test="balance"')
    assert page.count('data-type="bus"') == 1  # the rest of the catalogue follows, without the quick ones
    now = utcnow()
    for hours, code in enumerate(("waste_paper", "waste_paper", "waste_glass"), 1):
        moment = now - dt.timedelta(hours=hours)
        actions.log_action(session, resident, actions.ActionInput(code, Decimal(1), moment), now=now)
    session.commit()
    page = client.get("/me/").get_data(as_text=True)
    quick = page[page.index('data-test="quick-tiles"') : page.index("</ul>", page.index('data-test="quick-tiles"'))]
    assert set(re.findall(r'data-type="(\w+)"', quick)) == {"waste_paper", "waste_glass", "bus", "bike_shared"}
    assert page.count('data-type="waste_paper"') == 1


def test_a_bus_trip_takes_two_taps_from_home(client, resident, session):
    signed_in(client, resident)
    home = client.get("/me/").get_data(as_text=True)
    bus_link = re.search(r'href="([^"]+)" data-type="bus"', home).group(1)  # tap 1: the bus tile
    form_page = client.get(bus_link).get_data(as_text=True)
    assert 'data-chip="5"' in form_page
    response = client.post(bus_link, data={"csrf_token": csrf_from(form_page), "quantity": "5"})  # tap 2: "5 km"
    assert response.status_code == 302
    action = session.scalars(select(Action).where(Action.user_id == resident.id)).one()
    assert (action.action_type.code, action.co2e_grams, action.status) == ("bus", 52, ActionStatus.CREDITED)
    home = client.get("/me/").get_data(as_text=True)
    assert 'data-test="balance">52<' in home


def test_log_form_refuses_an_implausible_quantity_with_a_message(client, resident, session):
    signed_in(client, resident)
    form_page = client.get("/me/log/bus").get_data(as_text=True)
    response = client.post("/me/log/bus", data={"csrf_token": csrf_from(form_page), "quantity": "500"})
    assert response.status_code == 422
    assert "合理范围" in response.get_data(as_text=True)
    assert session.scalars(select(Action)).all() == []


def test_log_form_without_csrf_is_refused(client, resident, session):
    signed_in(client, resident)
    response = client.post("/me/log/bus", data={"quantity": "5"})
    assert response.status_code in (400, 422)
    assert session.scalars(select(Action)).all() == []


def test_history_shows_status_and_reason(client, resident, session):
    signed_in(client, resident)
    form_page = client.get("/me/log/buy_led").get_data(as_text=True)
    client.post("/me/log/buy_led", data={"csrf_token": csrf_from(form_page), "quantity": "1"})
    page = client.get("/me/actions", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "waiting for review" in page
    assert "needs evidence" in page


def test_ledger_page_lists_entries_with_running_balance(client, resident, session):
    account = ledger.account_for(session, resident)
    ledger.credit(session, account, ledger.EntryKind.EARN, 120, ("action", 1))
    session.commit()
    page = signed_in(client, resident).get("/me/ledger").get_data(as_text=True)
    assert "+120" in page
    assert ">120<" in page


def test_member_qr_is_an_inline_svg_without_personal_data(client, resident):
    page = signed_in(client, resident).get("/me/qr").get_data(as_text=True)
    assert "<svg" in page
    code = re.search(r'data-test="member-code">([^<]+)<', page).group(1)
    assert code.startswith("M-")
    assert resident.phone not in code
    assert client.get("/me/qr").get_data(as_text=True).count(code) >= 1  # stable across visits


def test_staff_are_sent_to_their_profile_not_the_resident_home(client, make_user):
    official = make_user(Role.OFFICIAL)
    response = signed_in(client, official).get("/me/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/me/profile")
