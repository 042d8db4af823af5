def test_home_page_is_chinese_by_default(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "低碳德州" in response.get_data(as_text=True)
