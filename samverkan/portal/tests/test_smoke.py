from samverkan.testing import login


def test_home_shows_the_users_roles(client, world):
    response = login(client, world.falun_coordinator).get("/")
    assert response.status_code == 200
    assert "Falun" in response.content.decode()
